/// Why a safetensors file could not be read. Every case names the file.
public struct SafeTensorsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, or "<memory>" for bytes read from elsewhere.
    public var file: String
    /// The tensor or header key concerned, when there is one.
    public var key: String?
    public var problem: String

    public init(file: String, key: String? = nil, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key { return "\(file): \(key): \(problem)" }
        return "\(file): \(problem)"
    }
}
