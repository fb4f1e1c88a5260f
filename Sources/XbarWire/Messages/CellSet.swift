/// A cell of a tile, by row and column (both counted from zero).
public struct CellIndex: Hashable, Sendable, Codable {
    public var row: UInt16
    public var column: UInt16

    public init(row: UInt16, column: UInt16) {
        self.row = row
        self.column = column
    }
}

/// A rectangular bitmap selecting cells of a tile, row-major, least significant bit first.
///
/// The mask carries its own dimensions so that a receiver can check them against the
/// tile's geometry before interpreting a single bit.
public struct CellMask: Hashable, Sendable {
    public var rows: UInt16
    public var columns: UInt16
    /// `ceil(rows * columns / 8)` bytes; bit `k` of the mask is bit `k % 8` of byte `k / 8`,
    /// where `k = row * columns + column`.
    public var bits: [UInt8]

    public init(rows: UInt16, columns: UInt16, bits: [UInt8]) {
        self.rows = rows
        self.columns = columns
        self.bits = bits
    }

    /// An empty mask of the given size.
    public init(rows: UInt16, columns: UInt16) {
        self.init(rows: rows, columns: columns,
                  bits: [UInt8](repeating: 0, count: (Int(rows) * Int(columns) + 7) / 8))
    }

    public var byteCount: Int { (Int(rows) * Int(columns) + 7) / 8 }

    public subscript(row: Int, column: Int) -> Bool {
        get {
            let k = row * Int(columns) + column
            return bits[k >> 3] & (1 << UInt8(k & 7)) != 0
        }
        set {
            let k = row * Int(columns) + column
            if newValue { bits[k >> 3] |= 1 << UInt8(k & 7) } else { bits[k >> 3] &= ~(1 << UInt8(k & 7)) }
        }
    }
}

/// The cells one operation acts on. Every selection lies in a single tile.
///
/// Replies list per-cell values in the order of ``cells(rows:columns:)``: row-major for
/// rows, columns, masks and whole tiles; the given order for lists.
public enum CellSet: Hashable, Sendable {
    case cell(tile: UInt8, CellIndex)
    case row(tile: UInt8, row: UInt16)
    case column(tile: UInt8, column: UInt16)
    case mask(tile: UInt8, CellMask)
    case list(tile: UInt8, [CellIndex])
    case tile(UInt8)

    public var tile: UInt8 {
        switch self {
        case .cell(let t, _), .row(let t, _), .column(let t, _), .mask(let t, _), .list(let t, _), .tile(let t):
            return t
        }
    }

    /// The selected cells in reply order, for a tile of the given size.
    ///
    /// - Throws: ``CellSetError`` when a row, column or mask does not fit the tile.
    public func cells(rows: Int, columns: Int) throws(CellSetError) -> [CellIndex] {
        func check(_ r: Int, _ c: Int) throws(CellSetError) {
            guard r >= 0, r < rows, c >= 0, c < columns else {
                throw CellSetError.outOfTile(row: r, column: c, rows: rows, columns: columns)
            }
        }
        switch self {
        case .cell(_, let i):
            try check(Int(i.row), Int(i.column))
            return [i]
        case .row(_, let r):
            try check(Int(r), 0)
            return (0..<columns).map { CellIndex(row: r, column: UInt16($0)) }
        case .column(_, let c):
            try check(0, Int(c))
            return (0..<rows).map { CellIndex(row: UInt16($0), column: c) }
        case .mask(_, let m):
            guard Int(m.rows) == rows, Int(m.columns) == columns, m.bits.count == m.byteCount else {
                throw CellSetError.maskShape(rows: Int(m.rows), columns: Int(m.columns), tileRows: rows, tileColumns: columns)
            }
            var out: [CellIndex] = []
            for r in 0..<rows { for c in 0..<columns where m[r, c] { out.append(CellIndex(row: UInt16(r), column: UInt16(c))) } }
            return out
        case .list(_, let list):
            for i in list { try check(Int(i.row), Int(i.column)) }
            return list
        case .tile:
            var out: [CellIndex] = []
            out.reserveCapacity(rows * columns)
            for r in 0..<rows { for c in 0..<columns { out.append(CellIndex(row: UInt16(r), column: UInt16(c))) } }
            return out
        }
    }
}

/// Why a cell set does not fit a tile.
public enum CellSetError: Error, Hashable, Sendable, CustomStringConvertible {
    case outOfTile(row: Int, column: Int, rows: Int, columns: Int)
    case maskShape(rows: Int, columns: Int, tileRows: Int, tileColumns: Int)

    public var description: String {
        switch self {
        case let .outOfTile(r, c, rows, columns):
            return "cell \(r):\(c) is outside the \(rows)x\(columns) tile"
        case let .maskShape(r, c, tr, tc):
            return "a \(r)x\(c) mask does not fit the \(tr)x\(tc) tile"
        }
    }
}
