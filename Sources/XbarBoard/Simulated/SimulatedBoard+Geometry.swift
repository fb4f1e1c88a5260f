import XbarWire

extension SimulatedBoard {
    /// A refusal for a malformed or inconsistent request.
    func badArgument(_ message: String) -> BoardError {
        .fault(BoardFault(code: .badArgument, message: message))
    }

    /// The tile with this index, or a refusal naming the tiles the board has.
    func tile(_ index: UInt8) throws -> SimulatedTile {
        guard let tile = tiles[Int(index)] else {
            let known = instrument.tiles.map { String($0.index) }.joined(separator: ", ")
            throw badArgument("tile \(index) does not exist (this board has tiles \(known))")
        }
        return tile
    }

    /// The selected cells in reply order, or a refusal saying which cell or mask does not fit.
    func cells(_ set: CellSet, of tile: SimulatedTile) throws -> [CellIndex] {
        let info = tile.info
        do {
            return try set.cells(rows: Int(info.rows), columns: Int(info.columns))
        } catch {
            throw badArgument("tile \(info.index): \(error)")
        }
    }

    /// Refuses a cell outside the tile; `what` says where it came from.
    func check(_ cell: CellIndex, in info: TileInfo, _ what: @autoclosure () -> String) throws {
        guard cell.row < info.rows, cell.column < info.columns else {
            throw badArgument("\(what()): cell \(cell) is outside the \(info.rows)x\(info.columns) tile \(info.index)")
        }
    }

    /// Refuses with the electrical-limit fault found for the request, if any.
    func pass(_ limits: BoardFault?) throws {
        if let limits { throw BoardError.fault(limits) }
    }

    /// Refuses a reply that would not fit in one frame.
    func checkReplySize(_ bytes: Int, _ what: String) throws {
        guard bytes <= Self.maxPayloadBytes else {
            throw badArgument("\(what): the reply would take \(bytes) bytes, more than the \(Self.maxPayloadBytes)-byte payload; split the request")
        }
    }
}
