/// Why the run store refused or failed an operation.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No run with this id in the store at `path`.
    case unknownRun(id: Int64, path: String)
    /// The store file could not be opened or migrated.
    case cannotOpen(path: String, reason: String)
    /// A logged operation is not in the state the caller expected.
    case badOperationState(run: Int64, seq: Int, state: String)
    /// No calibration with this id in the store at `path`.
    case unknownCalibration(id: Int64, path: String)

    public var description: String {
        switch self {
        case let .unknownRun(id, path):
            return "\(path): no run \(id) in this store; list the runs with `xbar runs list --store \(path)`"
        case let .cannotOpen(path, reason):
            return "\(path): cannot open the run store (\(reason))"
        case let .badOperationState(run, seq, state):
            return "run \(run): operation \(seq) is \(state), not awaiting a result"
        case let .unknownCalibration(id, path):
            return "\(path): no calibration \(id) in this store; `xbar runs show RUN` names a run's calibration"
        }
    }
}
