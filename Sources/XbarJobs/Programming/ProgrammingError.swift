/// Why a programming job refused its inputs or stopped.
public enum ProgrammingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A tolerance as typed, and why it was refused (with the allowed range).
    case badTolerance(String, reason: String)
    /// A target map cell is unusable: file, row, column, value, and why.
    case badTarget(path: String, row: Int, column: Int, value: Double, reason: String)
    /// The target map's shape fits neither a tile nor the stacked weight tiles.
    case badShape(path: String, rows: Int, columns: Int, expected: String)
    /// The tile cannot be programmed (unknown, or not non-volatile).
    case badTile(Int, reason: String)
    /// The board answered with fewer or more values than cells asked for.
    case badReply(String)
    /// Verify reads in sense ranges were asked of a board whose IDENTIFY lists none: its model and serial.
    case noSenseRanges(model: String, serial: String)

    public var description: String {
        switch self {
        case let .badTolerance(t, reason):
            return "--tolerance \(t): \(reason)"
        case let .badTarget(path, row, column, value, reason):
            return "\(path): cell \(row):\(column): target \(value) S \(reason)"
        case let .badShape(path, rows, columns, expected):
            return "\(path): a \(rows)x\(columns) map does not fit: expected \(expected)"
        case let .badTile(t, reason):
            return "tile \(t): \(reason)"
        case .badReply(let m):
            return "unexpected board reply: \(m)"
        case let .noSenseRanges(model, serial):
            return "board \(model) serial \(serial) lists no sense ranges in its IDENTIFY: verify reads in ranges need a board that has them"
        }
    }
}
