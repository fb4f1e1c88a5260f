/// A job stopped between two operations because it was asked to (Ctrl-C, SIGTERM): every
/// operation sent before is logged with its result, none after was sent, so the run resumes
/// exactly where it stopped.
public struct JobInterrupted: Error, Hashable, Sendable, CustomStringConvertible {
    public init() {}

    public var description: String { "interrupted between two operations" }
}
