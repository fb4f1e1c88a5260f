/// The one written form of a cell or STM node address within a tile: `ROW:COLUMN`, both from 0.
///
/// Every message, option and report writes an address this way, so what the tool prints can
/// be typed back into `--cells` or `--nodes` unchanged.
extension CellIndex: CustomStringConvertible, LosslessStringConvertible {
    /// `ROW:COLUMN`, for example `3:5`.
    public var description: String { "\(row):\(column)" }

    /// Reads `ROW:COLUMN`; nil for anything else (spaces, a missing part, a number beyond a u16).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let row = UInt16(parts[0]), let column = UInt16(parts[1]) else { return nil }
        self.init(row: row, column: column)
    }
}
