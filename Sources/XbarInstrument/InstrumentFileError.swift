/// One thing wrong (or, for warnings, unusual) in an instrument file.
public struct InstrumentProblem: Hashable, Sendable, CustomStringConvertible {
    /// Dotted key path of the offending value as written in the file, e.g. `limits.max_set_volts`
    /// or `tiles[2].rows`; empty for problems of the whole file (unreadable, YAML syntax).
    public var keyPath: String
    /// What is wrong and, where it helps, what to write instead.
    public var message: String
    /// Line of the value in the file, counted from 1, when known.
    public var line: Int?
    /// Column of the value in the file, counted from 1, when known.
    public var column: Int?

    public init(keyPath: String, message: String, line: Int? = nil, column: Int? = nil) {
        self.keyPath = keyPath
        self.message = message
        self.line = line
        self.column = column
    }

    /// `limits.max_set_volts: expected a number, got "abc" (line 12)`; problems of the whole
    /// file lead with their position instead: `line 3, column 7: ...`.
    public var description: String {
        if keyPath.isEmpty {
            switch (line, column) {
            case let (l?, c?): return "line \(l), column \(c): \(message)"
            case let (l?, nil): return "line \(l): \(message)"
            default: return message
            }
        }
        if let line { return "\(keyPath): \(message) (line \(line))" }
        return "\(keyPath): \(message)"
    }
}

/// Every problem found in one instrument file. Loading collects all of them before throwing,
/// so one run of `xbar instruments check` shows everything there is to fix.
public struct InstrumentFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file (or, for a name the catalog could not resolve, the name asked for).
    public var path: String
    /// At least one problem, in file order.
    public var problems: [InstrumentProblem]

    public init(path: String, problems: [InstrumentProblem]) {
        self.path = path
        self.problems = problems
    }

    /// One line per problem, each starting with the file's path.
    public var description: String {
        problems.map { "\(path): \($0)" }.joined(separator: "\n")
    }

    /// The problem reported for a key path, if any (exact match).
    public func problem(at keyPath: String) -> InstrumentProblem? {
        problems.first { $0.keyPath == keyPath }
    }
}
