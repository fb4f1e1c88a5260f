import Foundation

/// A tile of a chip as an averaged read measured it at one moment: where its cells sat then,
/// relaxation since their last verify and any touch-up included. A job that reads the tiles it
/// is about to use (an inference's preparation) records it, so that the chip's twin can start
/// from the chip's newest measured state rather than from the values its programming verified.
public struct TileReadBack: Sendable, Hashable {
    /// The run during which the tile was read.
    public var run: Int64
    public var index: Int
    public var rows: Int
    public var columns: Int
    /// Conductances, siemens, row-major.
    public var siemens: [Double]
    /// Reads averaged per cell.
    public var averages: Int
    public var readAt: Date

    public init(run: Int64, index: Int, rows: Int, columns: Int, siemens: [Double], averages: Int, readAt: Date = Date()) {
        precondition(siemens.count == rows * columns, "a \(rows)x\(columns) read-back needs \(rows * columns) values")
        self.run = run
        self.index = index
        self.rows = rows
        self.columns = columns
        self.siemens = siemens
        self.averages = averages
        self.readAt = readAt
    }
}
