import Foundation
import GRDB

/// One cell's measured series in a characterization run: `x` is what the series is measured
/// against (seconds since programming, cycles, disturbing pulses; the series name says which)
/// and `y` the conductance, siemens.
public struct CellSeries: Hashable, Sendable {
    public var series: String
    public var tile: Int
    public var row: Int
    public var column: Int
    public var x: [Double]
    public var ySiemens: [Double]

    public init(series: String, tile: Int, row: Int, column: Int, x: [Double], ySiemens: [Double]) {
        precondition(x.count == ySiemens.count, "a series has one conductance per point")
        self.series = series
        self.tile = tile
        self.row = row
        self.column = column
        self.x = x
        self.ySiemens = ySiemens
    }
}

extension CellSeries {
    /// Parts of series (as a job hands them over, a point or a round at a time) joined into one
    /// series per (series, cell), points in the order given; ordered by series name, then by
    /// the first time each cell appeared.
    public static func joined(_ parts: [CellSeries]) -> [CellSeries] {
        var joined: [CellSeries] = []
        var position: [String: Int] = [:]
        for s in parts {
            let key = "\(s.series)/\(s.tile)/\(s.row)/\(s.column)"
            if let k = position[key] {
                joined[k].x += s.x
                joined[k].ySiemens += s.ySiemens
            } else {
                position[key] = joined.count
                joined.append(s)
            }
        }
        return joined.enumerated().sorted { ($0.element.series, $0.offset) < ($1.element.series, $1.offset) }.map(\.element)
    }
}

extension RunStore {
    /// Appends points to cells' series, in one transaction.
    public func appendSeries(run: Int64, _ series: [CellSeries]) throws {
        try pool.write { db in
            var next = (try Int.fetchOne(db, sql: "SELECT MAX(idx) FROM cell_series WHERE run_id = ?", arguments: [run]) ?? -1) + 1
            let insert = try db.cachedStatement(sql: """
                INSERT INTO cell_series (run_id, idx, series, tile, "row", "column", x, y) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for s in series where !s.x.isEmpty {
                try insert.execute(arguments: [run, next, s.series, s.tile, s.row, s.column, DoubleBlob.encode(s.x), DoubleBlob.encode(s.ySiemens)])
                next += 1
            }
        }
    }

    /// A run's series, the rows of each (series, cell) joined in the order they were saved;
    /// ordered by series name, then by the first time each cell appeared.
    public func series(run: Int64) throws -> [CellSeries] {
        let rows = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cell_series WHERE run_id = ? ORDER BY idx", arguments: [run])
        }
        return CellSeries.joined(rows.map { r in
            CellSeries(series: r["series"], tile: r["tile"], row: r["row"], column: r["column"],
                       x: DoubleBlob.decode(r["x"]), ySiemens: DoubleBlob.decode(r["y"]))
        })
    }
}
