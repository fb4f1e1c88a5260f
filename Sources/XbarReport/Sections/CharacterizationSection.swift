import Foundation
import XbarStore

/// Form and sweep runs: the forming yield map and outcome counts, and I–V curves on a log
/// current axis with each cell's SET and RESET voltages.
enum CharacterizationSection {
    /// Curves drawn per figure: enough to see the spread, few enough to tell them apart.
    static let curvesShown = 8
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    static func make(store: RunStore, run: RunRecord) throws -> ReportSection? {
        switch run.draft.kind {
        case "form": return try forming(store: store, run: run)
        case "sweep": return try sweep(store: store, run: run)
        default: return nil
        }
    }

    static func forming(store: RunStore, run: RunRecord) throws -> ReportSection? {
        let results = try store.formingResults(run: run.id)
        guard !results.isEmpty else { return nil }
        var section = ReportSection(title: "Forming")
        var rows = [["tile", "cells", "formed", "failed", "over-formed", "yield", "median forming voltage"]]
        for tile in Set(results.map(\.tile)).sorted() {
            let cells = results.filter { $0.tile == tile }
            let count = { (o: String) in cells.filter { $0.outcome == o }.count }
            let volts = cells.compactMap(\.formingVolts).sorted()
            rows.append(["\(tile)", "\(cells.count)", "\(count("formed"))", "\(count("failed"))", "\(count("over-formed"))",
                         String(format: "%.1f %%", 100 * Double(count("formed")) / Double(cells.count)),
                         volts.isEmpty ? "-" : SIText.format(volts[volts.count / 2], unit: "V")])
            let nRows = (cells.map(\.row).max() ?? 0) + 1, nColumns = (cells.map(\.column).max() ?? 0) + 1
            // Cells the run did not touch stay NaN (grey).
            var map = [Double](repeating: .nan, count: nRows * nColumns)
            for c in cells { map[c.row * nColumns + c.column] = c.outcome == "formed" ? 1 : c.outcome == "failed" ? 0 : 2 }
            section.figures.append(Heatmap(title: "Tile \(tile): forming yield map (0 failed, 1 formed, 2 over-formed)",
                                           rows: nRows, columns: nColumns, values: map, unit: "").figure)
            let sorted = volts
            if !sorted.isEmpty {
                var plot = XYPlot(title: "Tile \(tile): forming voltages", x: .init(label: "forming voltage", unit: "V"),
                                  y: .init(label: "cells", unit: "", includeZero: true))
                plot.bars(Histogram.bins(sorted), color: colors[0])
                section.figures.append(plot.figure)
            }
        }
        section.table(rows)
        try ivFigures(store: store, run: run, into: &section, title: "Forming ramps")
        return section
    }

    static func sweep(store: RunStore, run: RunRecord) throws -> ReportSection? {
        let curves = try store.ivCurves(run: run.id)
        guard !curves.isEmpty else { return nil }
        var section = ReportSection(title: "I–V sweeps")
        let sets = curves.compactMap(\.setVolts).sorted(), resets = curves.compactMap(\.resetVolts).sorted()
        let ratios = curves.compactMap(\.onOffRatio).filter(\.isFinite).sorted()
        func median(_ x: [Double]) -> Double { x.isEmpty ? .nan : x[x.count / 2] }
        section.table([["cells", "SET found", "median SET", "RESET found", "median RESET", "median on/off"],
                       ["\(curves.count)", "\(sets.count)", SIText.format(median(sets), unit: "V"), "\(resets.count)",
                        SIText.format(median(resets), unit: "V"), String(format: "%.3g", median(ratios))]])
        try ivFigures(store: store, run: run, into: &section, title: "I–V curves")
        if !sets.isEmpty {
            var plot = XYPlot(title: "SET and RESET voltages", x: .init(label: "voltage (RESET as a magnitude)", unit: "V"),
                              y: .init(label: "cells", unit: "", includeZero: true))
            plot.bars(Histogram.bins(sets), color: colors[0], label: "SET")
            if !resets.isEmpty { plot.bars(Histogram.bins(resets), color: colors[1], label: "RESET") }
            section.figures.append(plot.figure)
        }
        return section
    }

    /// The first few cells' curves, log10 of the step current's magnitude against the step voltage.
    static func ivFigures(store: RunStore, run: RunRecord, into section: inout ReportSection, title: String) throws {
        let curves = try store.ivCurves(run: run.id).prefix(curvesShown)
        guard !curves.isEmpty else { return }
        var plot = XYPlot(title: "\(title) (first \(curves.count) cells)", x: .init(label: "step voltage", unit: "V"),
                          y: .init(label: "log10 |I / 1 A|", unit: ""))
        for (k, c) in curves.enumerated() {
            let points = zip(c.volts, c.amperes).compactMap { v, i in abs(i) > 0 ? (v, log10(abs(i))) : nil }
            plot.line(points, color: colors[k % colors.count], label: "tile \(c.tile) cell \(c.row):\(c.column)")
        }
        section.figures.append(plot.figure)
    }
}
