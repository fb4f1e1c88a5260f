import Foundation

/// The controller's record of what the chip holds: per tile, the last verified conductance of
/// every cell and when it was verified. Programming writes it; later jobs (inference, the
/// fallback to a simulated board) start from it.
public struct ShadowMap: Sendable, Hashable {
    public struct Tile: Sendable, Hashable {
        public var index: Int
        public var rows: Int
        public var columns: Int
        /// Verified conductances, siemens, row-major.
        public var siemens: [Double]
        /// When each cell was verified, row-major.
        public var verifiedAt: [Date]

        public init(index: Int, rows: Int, columns: Int, siemens: [Double], verifiedAt: [Date]) {
            precondition(siemens.count == rows * columns && verifiedAt.count == rows * columns,
                         "a \(rows)x\(columns) shadow tile needs \(rows * columns) values and times")
            self.index = index
            self.rows = rows
            self.columns = columns
            self.siemens = siemens
            self.verifiedAt = verifiedAt
        }
    }

    /// Tiles by index.
    public var tiles: [Int: Tile]

    public init(tiles: [Int: Tile] = [:]) { self.tiles = tiles }
}
