/// Where one row slab of a weight matrix sits on a non-volatile tile (the model file's
/// `tile_map.placements`).
///
/// Input `inputOffset + i` of the matrix drives physical row `rowOffset + i` for
/// `i < rows`; output `j` is the differential column pair `(2 (colPairOffset + j), 2 (colPairOffset + j) + 1)`,
/// `G+` at the even column. A matrix wider than a tile's rows is split into several slabs
/// whose partial sums are added digitally.
public struct TilePlacement: Hashable, Sendable {
    public var matrix: String
    public var tile: Int
    public var rowOffset: Int
    public var rows: Int
    public var inputOffset: Int
    public var colPairOffset: Int
    public var outputs: Int

    public init(matrix: String, tile: Int, rowOffset: Int, rows: Int, inputOffset: Int, colPairOffset: Int, outputs: Int) {
        self.matrix = matrix
        self.tile = tile
        self.rowOffset = rowOffset
        self.rows = rows
        self.inputOffset = inputOffset
        self.colPairOffset = colPairOffset
        self.outputs = outputs
    }

    /// Physical rows this slab drives.
    public var physicalRows: Range<Int> { rowOffset..<(rowOffset + rows) }
    /// Physical columns this slab occupies (two per output).
    public var physicalColumns: Range<Int> { (2 * colPairOffset)..<(2 * (colPairOffset + outputs)) }
    /// Matrix inputs this slab carries.
    public var inputs: Range<Int> { inputOffset..<(inputOffset + rows) }
}
