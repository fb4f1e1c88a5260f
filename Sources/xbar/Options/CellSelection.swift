import ArgumentParser
import XbarWire

/// `--tile` and `--cells`: which cells of which tile an operation acts on.
struct CellSelection: ParsableArguments {
    @Option(help: "Tile index (see xbar identify).")
    var tile: UInt8 = 0

    @Option(help: ArgumentHelp("Cells: all, row:R, column:C, or \(CellAddressList.grammar).",
                               valueName: "cells"))
    var cells: String = "all"

    /// The selection as a cell set.
    ///
    /// - Throws: `ValidationError` naming the part of `--cells` that is not understood.
    func cellSet() throws -> CellSet {
        func number(_ s: Substring, _ what: String) throws -> UInt16 {
            guard let v = UInt16(s) else {
                throw ValidationError("--cells \(cells): \(what) \"\(s)\" is not a non-negative integer")
            }
            return v
        }
        if cells == "all" { return .tile(tile) }
        if cells.hasPrefix("row:") { return .row(tile: tile, row: try number(cells.dropFirst(4), "row")) }
        if cells.hasPrefix("column:") { return .column(tile: tile, column: try number(cells.dropFirst(7), "column")) }
        let list = try CellAddressList.parse(cells, option: "--cells")
        return list.count == 1 ? .cell(tile: tile, list[0]) : .list(tile: tile, list)
    }
}
