import XbarInstrument
import XbarWire

/// Target conductances per tile, from a map file: one tile's map, or every weight tile's stacked
/// vertically in tile order (the whole array: 256x64 for four 64x64 tiles).
public struct ProgrammingTargets: Hashable, Sendable {
    public var tiles: [(tile: TileInfo, siemens: [Double])] {
        zip(tileInfos, values).map { ($0, $1) }
    }
    var tileInfos: [TileInfo]
    var values: [[Double]]

    public init(tiles: [(tile: TileInfo, siemens: [Double])]) {
        tileInfos = tiles.map(\.tile)
        values = tiles.map(\.siemens)
    }

    /// Splits a map into tiles and checks every value against the programmable range.
    ///
    /// - Parameters:
    ///   - tile: the tile a tile-sized map is for; must be nil for a whole-array map. May be
    ///     left nil for a tile-sized map only when the board has a single weight tile.
    /// - Throws: ``ProgrammingError`` naming the file and the cell or shape that is wrong.
    public init(map: ConductanceMap, path: String, instrument: Instrument, tile: Int?,
                range: ProgrammableRange) throws(ProgrammingError) {
        let weights = instrument.weightTiles
        guard let first = weights.first else { throw .badTile(-1, reason: "the instrument \(instrument.name) has no non-volatile tiles") }
        let stackedRows = weights.reduce(0) { $0 + Int($1.rows) }
        let sameColumns = weights.allSatisfy { $0.columns == first.columns }
        let names = weights.map { "\($0.rows)x\($0.columns)" }
        let expected = "one tile (\(Set(names).sorted().joined(separator: " or ")), with --tile) or all \(weights.count) weight tiles stacked (\(stackedRows)x\(first.columns))"
        if let t = tile {
            guard let info = instrument.tile(UInt8(clamping: t)), t >= 0, t <= 255 else {
                throw .badTile(t, reason: "the instrument \(instrument.name) has tiles \(instrument.tiles.map { String($0.index) }.joined(separator: ", "))")
            }
            guard info.kind.isNonVolatile else { throw .badTile(t, reason: "holds STM state nodes, not programmable weights") }
            guard map.rows == Int(info.rows), map.columns == Int(info.columns) else {
                throw .badShape(path: path, rows: map.rows, columns: map.columns, expected: "\(info.rows)x\(info.columns) for tile \(t)")
            }
            try range.check(map, path: path)
            self.init(tiles: [(info, map.siemens)])
        } else if sameColumns && map.rows == stackedRows && map.columns == Int(first.columns) {
            try range.check(map, path: path)
            var out: [(tile: TileInfo, siemens: [Double])] = []
            var row = 0
            for info in weights {
                out.append((info, map.rows(row, count: Int(info.rows)).siemens))
                row += Int(info.rows)
            }
            self.init(tiles: out)
        } else if weights.count == 1, map.rows == Int(first.rows), map.columns == Int(first.columns) {
            try range.check(map, path: path)
            self.init(tiles: [(first, map.siemens)])
        } else if weights.contains(where: { map.rows == Int($0.rows) && map.columns == Int($0.columns) }) {
            throw .badShape(path: path, rows: map.rows, columns: map.columns, expected: "--tile N to say which tile a tile-sized map is for, or \(expected)")
        } else {
            throw .badShape(path: path, rows: map.rows, columns: map.columns, expected: expected)
        }
    }

    public static func == (a: ProgrammingTargets, b: ProgrammingTargets) -> Bool {
        a.tileInfos == b.tileInfos && a.values == b.values
    }

    public func hash(into h: inout Hasher) {
        h.combine(tileInfos)
        h.combine(values)
    }
}
