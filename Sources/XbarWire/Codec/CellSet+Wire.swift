/// The selector byte of a cell set on the wire.
enum CellSetSelector: UInt8 {
    case cell = 0, row = 1, column = 2, mask = 3, list = 4, tile = 5
}

extension CellSet {
    /// Appends the cell set: selector u8, tile u8, then the selector's fields.
    func encode(into bytes: inout [UInt8]) {
        switch self {
        case let .cell(tile, index):
            bytes.append(CellSetSelector.cell.rawValue)
            bytes.append(tile)
            bytes.put(index.row)
            bytes.put(index.column)
        case let .row(tile, row):
            bytes.append(CellSetSelector.row.rawValue)
            bytes.append(tile)
            bytes.put(row)
        case let .column(tile, column):
            bytes.append(CellSetSelector.column.rawValue)
            bytes.append(tile)
            bytes.put(column)
        case let .mask(tile, mask):
            bytes.append(CellSetSelector.mask.rawValue)
            bytes.append(tile)
            bytes.put(mask.rows)
            bytes.put(mask.columns)
            // Exactly byteCount bytes, whatever the array holds, so the frame stays parseable.
            let n = mask.byteCount
            bytes.append(contentsOf: mask.bits.prefix(n))
            if mask.bits.count < n { bytes.append(contentsOf: repeatElement(0, count: n - mask.bits.count)) }
        case let .list(tile, cells):
            bytes.append(CellSetSelector.list.rawValue)
            bytes.append(tile)
            bytes.putCount(cells.count)
            for c in cells {
                bytes.put(c.row)
                bytes.put(c.column)
            }
        case let .tile(tile):
            bytes.append(CellSetSelector.tile.rawValue)
            bytes.append(tile)
        }
    }

    static func decode(from reader: inout WireReader, _ field: String) throws(WireError) -> CellSet {
        let selector = try reader.enumeration(CellSetSelector.self, field + ".selector")
        let tile = try reader.u8(field + ".tile")
        switch selector {
        case .cell:
            let row = try reader.u16(field + ".row")
            let column = try reader.u16(field + ".column")
            return .cell(tile: tile, CellIndex(row: row, column: column))
        case .row:
            return .row(tile: tile, row: try reader.u16(field + ".row"))
        case .column:
            return .column(tile: tile, column: try reader.u16(field + ".column"))
        case .mask:
            let rows = try reader.u16(field + ".rows")
            let columns = try reader.u16(field + ".columns")
            let cellCount = Int(rows) * Int(columns)
            let n = (cellCount + 7) / 8
            let bitsAt = reader.position
            let bits = try reader.bytes(n, field + ".bits")
            // The bits beyond the last cell are reserved, and reserved bits must be zero.
            if cellCount % 8 != 0, let last = bits.last, last >> UInt8(cellCount % 8) != 0 {
                throw reader.badField(field + ".bits", at: bitsAt + n - 1,
                                      "unused bits of the last mask byte must be zero")
            }
            return .mask(tile: tile, CellMask(rows: rows, columns: columns, bits: bits))
        case .list:
            let n = try reader.count(field + ".count", elementBytes: 4)
            var cells: [CellIndex] = []
            cells.reserveCapacity(n)
            for i in 0..<n {
                let row = try reader.u16("\(field)[\(i)].row")
                let column = try reader.u16("\(field)[\(i)].column")
                cells.append(CellIndex(row: row, column: column))
            }
            return .list(tile: tile, cells)
        case .tile:
            return .tile(tile)
        }
    }
}
