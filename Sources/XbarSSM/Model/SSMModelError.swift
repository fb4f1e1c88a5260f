/// Why a model or data set file cannot be used. Every case names the file and, when there is
/// one, the tensor or metadata key at fault.
public struct SSMModelError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// A tensor name, or `__metadata__.key` for a metadata entry.
    public var key: String?
    public var problem: String

    public init(file: String, key: String? = nil, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    init(_ error: SafeTensorsError) {
        self.init(file: error.file, key: error.key, problem: error.problem)
    }

    public var description: String {
        if let key { return "\(file): \(key): \(problem)" }
        return "\(file): \(problem)"
    }
}
