import Foundation
import XbarJobs
import XbarStore

/// A programming run: maps of target, achieved and error per tile, achieved against target,
/// error and pulse histograms, and the write-verify trajectories of chosen cells.
enum ProgrammingSection {
    static func make(store: RunStore, run: RunRecord) throws -> ReportSection? {
        let outcomes = try store.outcomes(run: run.id)
        guard !outcomes.isEmpty else { return nil }
        var section = ReportSection(title: "Write-verify")
        let shadow = try store.shadowMap(run: run.id)
        let byTile = Dictionary(grouping: outcomes, by: \.tile)
        var rows = [["tile", "cells", "converged", "stuck", "out of pulses", "pulses per cell", "RMS error"]]
        for (tile, cells) in byTile.sorted(by: { $0.key < $1.key }) {
            let counts = Dictionary(grouping: cells, by: \.outcome).mapValues(\.count)
            let errors = cells.filter { $0.outcome == CellOutcome.converged.rawValue }.map { $0.finalSiemens - $0.targetSiemens }
            let rms = errors.isEmpty ? 0 : (errors.reduce(0) { $0 + $1 * $1 } / Double(errors.count)).squareRoot()
            rows.append(["\(tile)", "\(cells.count)", "\(counts["converged"] ?? 0)", "\(counts["stuck"] ?? 0)",
                         "\(counts["out_of_pulses"] ?? 0)",
                         String(format: "%.2f", Double(cells.reduce(0) { $0 + $1.pulses }) / Double(cells.count)),
                         SIText.format(rms, unit: "S")])
        }
        section.table(rows)

        for (tile, cells) in byTile.sorted(by: { $0.key < $1.key }) {
            let rowCount = (cells.map(\.row).max() ?? 0) + 1, columnCount = (cells.map(\.column).max() ?? 0) + 1
            var target = [Double](repeating: .nan, count: rowCount * columnCount)
            var achieved = target
            for c in cells {
                target[c.row * columnCount + c.column] = c.targetSiemens
                achieved[c.row * columnCount + c.column] = c.finalSiemens
            }
            if let t = shadow.tiles[tile], t.rows == rowCount, t.columns == columnCount { achieved = t.siemens }
            let error = zip(achieved, target).map { $0 - $1 }
            section.figures.append(Heatmap(title: "Tile \(tile): target", rows: rowCount, columns: columnCount, values: target, unit: "S").figure)
            section.figures.append(Heatmap(title: "Tile \(tile): achieved (shadow map)", rows: rowCount, columns: columnCount, values: achieved, unit: "S").figure)
            section.figures.append(Heatmap(title: "Tile \(tile): error (achieved − target)", rows: rowCount, columns: columnCount, values: error,
                                           unit: "S", palette: .diverging).figure)
        }

        var scatter = XYPlot(title: "Achieved against target, every cell",
                             x: .init(label: "Target conductance", unit: "S"), y: .init(label: "Achieved conductance", unit: "S"))
        let stride = max(1, outcomes.count / 6000)
        for (i, outcome) in CellOutcome.allCases.enumerated() {
            let points = outcomes.enumerated().filter { $0.offset % stride == 0 && $0.element.outcome == outcome.rawValue }
                .map { ($0.element.targetSiemens, $0.element.finalSiemens) }
            if !points.isEmpty { scatter.points(points, color: SeriesColor.at(i), radius: 1.6, label: outcome.rawValue) }
        }
        let lo = outcomes.map(\.targetSiemens).min() ?? 0, hi = outcomes.map(\.targetSiemens).max() ?? 1
        scatter.line([(lo, lo), (hi, hi)], color: "#666", dashed: true, label: "achieved = target")
        section.figures.append(scatter.figure)

        var errors = XYPlot(title: "Error of converged cells", x: .init(label: "Achieved − target", unit: "S"), y: .init(label: "Cells", unit: ""))
        errors.bars(Histogram.bins(outcomes.filter { $0.outcome == CellOutcome.converged.rawValue }.map { $0.finalSiemens - $0.targetSiemens }),
                    color: SeriesColor.at(0))
        section.figures.append(errors.figure)
        var pulses = XYPlot(title: "Pulses per cell", x: .init(label: "Pulses", unit: ""), y: .init(label: "Cells", unit: ""))
        let maxPulses = outcomes.map(\.pulses).max() ?? 0
        pulses.bars((0...maxPulses).map { p in (Double(p) - 0.4, Double(p) + 0.4, Double(outcomes.filter { $0.pulses == p }.count)) },
                    color: SeriesColor.at(2))
        section.figures.append(pulses.figure)

        if let trajectories = try trajectories(store: store, run: run, outcomes: outcomes) { section.figures.append(trajectories) }
        return section
    }

    /// Conductance read after each pulse for a few cells: the one that needed the most pulses, a
    /// typical one, and a stuck one when there is one.
    static func trajectories(store: RunStore, run: RunRecord, outcomes: [CellOutcomeRecord]) throws -> SVGFigure? {
        let sorted = outcomes.sorted { $0.pulses < $1.pulses }
        var chosen: [CellOutcomeRecord] = []
        if let most = sorted.last { chosen.append(most) }
        if sorted.count > 2 { chosen.append(sorted[sorted.count / 2]); chosen.append(sorted[sorted.count * 3 / 4]) }
        if let stuck = outcomes.first(where: { $0.outcome == CellOutcome.stuck.rawValue }) { chosen.append(stuck) }
        var seen = Set<[Int]>()
        chosen = chosen.filter { seen.insert([$0.tile, $0.row, $0.column]).inserted && $0.pulses > 0 }
        guard !chosen.isEmpty else { return nil }
        var series: [[Int]: [Double]] = [:]
        let wanted = Set(chosen.map { [$0.tile, $0.row, $0.column] })
        for entry in try store.journal(run: run.id) where entry.state == .done {
            guard case let .pulseBatch(tile, _, _, _, list) = entry.operation else { continue }
            for (i, p) in list.enumerated() where i < entry.measuredSiemens.count {
                let key = [tile, p.row, p.column]
                if wanted.contains(key) { series[key, default: []].append(entry.measuredSiemens[i]) }
            }
        }
        var plot = XYPlot(title: "Write-verify trajectories (read after each pulse; dashed: target)",
                          x: .init(label: "Pulse", unit: ""), y: .init(label: "Conductance", unit: "S"))
        plot.width = 560
        for (i, cell) in chosen.enumerated() {
            guard let reads = series[[cell.tile, cell.row, cell.column]], !reads.isEmpty else { continue }
            let color = SeriesColor.at(i)
            plot.line(reads.enumerated().map { (Double($0.offset + 1), $0.element) }, color: color,
                      label: "tile \(cell.tile) cell \(cell.row):\(cell.column) \(cell.outcome)")
            plot.line([(1, cell.targetSiemens), (Double(reads.count), cell.targetSiemens)], color: color, dashed: true)
        }
        return plot.marks.isEmpty ? nil : plot.figure
    }
}
