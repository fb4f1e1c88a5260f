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
    /// A command that only reads found no store file at `path`.
    case noStore(path: String)
    /// The store was written by a newer build (schema `storeVersion`, this build knows `buildVersion`).
    case newerSchema(path: String, storeVersion: Int, buildVersion: Int)
    /// A read-only command found a store of an older schema, which it may not upgrade.
    case olderSchema(path: String, storeVersion: Int, buildVersion: Int)
    /// A stored record does not hold what its own columns say it holds.
    case corruptRecord(path: String, what: String)

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
        case let .noStore(path):
            return "\(path): no run store here; check --store (or $XBAR_STORE); a store is created by the first command that records a run"
        case let .newerSchema(path, store, build):
            return "\(path): the run store has schema version \(store), newer than version \(build) this build of xbar knows; use a newer xbar (nothing was written)"
        case let .olderSchema(path, store, build):
            return "\(path): the run store has schema version \(store), older than version \(build) of this build; a command that records runs upgrades it (this one only reads)"
        case let .corruptRecord(path, what):
            return "\(path): \(what); the record cannot be used (the store was changed outside xbar or damaged)"
        }
    }
}
