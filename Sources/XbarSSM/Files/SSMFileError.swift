/// Why a file cannot be used: a safetensors file that does not parse, a model or data set whose
/// tensors or metadata are wrong, a readout calibration that does not fit. Every error names the
/// file and, when there is one, the tensor or metadata key at fault.
public struct SSMFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, or "<memory>" for bytes read from elsewhere.
    public var file: String
    /// A tensor or header key, or `__metadata__.key` for a metadata entry.
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
