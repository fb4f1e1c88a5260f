/// Why a programming job refused its inputs or stopped.
public enum ProgrammingError: Error, Hashable, Sendable, CustomStringConvertible {
    case badTolerance(String)
    /// A target map cell is unusable: file, row, column, value, and why.
    case badTarget(path: String, row: Int, column: Int, value: Double, reason: String)
    /// The target map's shape fits neither a tile nor the stacked weight tiles.
    case badShape(path: String, rows: Int, columns: Int, expected: String)
    /// The tile cannot be programmed (unknown, or not non-volatile).
    case badTile(Int, reason: String)
    /// The board answered with fewer or more values than cells asked for.
    case badReply(String)
    /// A logged operation holds a value no request can carry: the field and the value.
    case badJournal(field: String, value: String)

    public var description: String {
        switch self {
        case .badTolerance(let t):
            return "tolerance \"\(t)\": expected siemens from 1e-12 to 1 (e.g. 1e-6) or a percentage of the range above 0.000001 and below 100 (e.g. 1%)"
        case let .badTarget(path, row, column, value, reason):
            return "\(path): row \(row), column \(column): target \(value) S \(reason)"
        case let .badShape(path, rows, columns, expected):
            return "\(path): a \(rows)x\(columns) map does not fit: expected \(expected)"
        case let .badTile(t, reason):
            return "tile \(t): \(reason)"
        case .badReply(let m):
            return "unexpected board reply: \(m)"
        case let .badJournal(field, value):
            return "the run's journal holds \(field) \(value), which no board request can carry (a store edited or written by another build); nothing was sent"
        }
    }
}
