import Foundation
import XbarJobs
import XbarStore

/// An endurance run: the on/off window of the cycled cells against cycles, and when they failed.
enum EnduranceSection {
    static func make(store: RunStore, run: RunRecord) throws -> ReportSection? {
        guard run.draft.kind == "endurance" else { return nil }
        let arguments = (try? JSONSerialization.jsonObject(with: Data(run.draft.argumentsJSON.utf8))) as? [String: String]
        let fraction = arguments?["failure_window"].flatMap(Double.init) ?? 0.25
        let analysis = EnduranceAnalysis(try store.series(run: run.id), failureWindowFraction: fraction)
        guard !analysis.cells.isEmpty else { return nil }
        var section = ReportSection(title: "Endurance")
        let failures = analysis.cells.compactMap(\.failureCycle)
        section.paragraph("\(failures.count) of \(analysis.cells.count) cells failed (window below \(Int(fraction * 100)) % of the first twice in a row); median failure cycle "
                          + (analysis.medianFailureCycle.map { SIText.format($0, unit: "") } ?? "beyond the run") + ".")
        var plot = XYPlot(title: "On/off window against cycles (one line per cell)", x: .init(label: "Cycles", unit: ""),
                          y: .init(label: "Window (on - off)", unit: "S", includeZero: true))
        plot.width = 640
        for (i, cell) in analysis.cells.prefix(16).enumerated() {
            plot.line(Array(zip(cell.cycles, cell.windowSiemens)), color: SeriesColor.at(i))
        }
        section.figures.append(plot.figure)
        if failures.count >= 2 {
            var histogram = XYPlot(title: "Failure cycles of \(failures.count) cells", x: .init(label: "log10 of the failure cycle", unit: ""),
                                   y: .init(label: "Cells", unit: ""))
            histogram.bars(Histogram.bins(failures.filter { $0 > 0 }.map { log10($0) }, count: 20), color: SeriesColor.at(1))
            section.figures.append(histogram.figure)
        }
        return section
    }
}
