import Foundation
import XbarStore

/// A characterization run's series as one table, a line per read: what `xbar runs export`
/// writes for retention, endurance and disturb runs.
///
/// Columns: series, tile, row, column, x, siemens. `x` is seconds since programming
/// (retention), cycles (endurance) or disturbing pulses so far (disturb). In `.npy` form the
/// series is its index in ``names`` (a float64 table of six columns).
public struct CellSeriesTable: Sendable {
    public let series: [CellSeries]
    /// The series names, in the order their indices number them.
    public let names: [String]

    public init(_ series: [CellSeries]) {
        self.series = series
        var names: [String] = []
        for s in series where !names.contains(s.series) { names.append(s.series) }
        self.names = names
    }

    public var readCount: Int { series.reduce(0) { $0 + $1.x.count } }

    public var csv: String {
        var text = "series,tile,row,column,x,siemens\n"
        for s in series {
            for k in s.x.indices { text += "\(s.series),\(s.tile),\(s.row),\(s.column),\(s.x[k]),\(s.ySiemens[k])\n" }
        }
        return text
    }

    /// The table as a `readCount x 6` map of float64 values, for ``NPYFile``.
    public var matrix: ConductanceMap {
        var values: [Double] = []
        values.reserveCapacity(readCount * 6)
        for s in series {
            let index = Double(names.firstIndex(of: s.series)!)
            for k in s.x.indices {
                values += [index, Double(s.tile), Double(s.row), Double(s.column), s.x[k], s.ySiemens[k]]
            }
        }
        return ConductanceMap(rows: readCount, columns: 6, siemens: values)
    }
}
