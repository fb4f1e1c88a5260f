import Foundation
import XbarStore

/// Whole-tile reads of a run (a read run, or the reads of any job): the last map of each tile.
enum ReadSection {
    static func make(store: RunStore, run: RunRecord) throws -> ReportSection? {
        guard run.draft.kind == "read" else { return nil }
        var maps: [Int: (rows: Int, columns: Int, siemens: [Double])] = [:]
        for entry in try store.journal(run: run.id) where entry.state == .done {
            if case let .read(tile, nil, rows, columns, _, _, _) = entry.operation, entry.measuredSiemens.count == rows * columns {
                maps[tile] = (rows, columns, entry.measuredSiemens)
            }
        }
        guard !maps.isEmpty else { return nil }
        var section = ReportSection(title: "Reads")
        var rows = [["tile", "cells", "min", "mean", "max"]]
        for (tile, map) in maps.sorted(by: { $0.key < $1.key }) {
            let mean = map.siemens.reduce(0, +) / Double(map.siemens.count)
            rows.append(["\(tile)", "\(map.siemens.count)", SIText.format(map.siemens.min() ?? 0, unit: "S"),
                         SIText.format(mean, unit: "S"), SIText.format(map.siemens.max() ?? 0, unit: "S")])
            section.figures.append(Heatmap(title: "Tile \(tile): conductance read", rows: map.rows, columns: map.columns,
                                           values: map.siemens, unit: "S").figure)
        }
        section.table(rows)
        return section
    }
}
