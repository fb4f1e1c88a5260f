import Foundation
import XbarInstrument
import XbarJobs
import XbarStore

/// A retention run: each cell's drift from its level before the first second against log
/// time, with the fitted relaxation's one- and two-sigma envelope.
enum RetentionSection {
    static func make(store: RunStore, run: RunRecord, instrument: Instrument?) throws -> ReportSection? {
        guard run.draft.kind == "retention" else { return nil }
        let series = try store.series(run: run.id).filter { $0.series == RetentionFit.series }
        guard !series.isEmpty else { return nil }
        var section = ReportSection(title: "Retention")
        guard let instrument else {
            section.paragraph("The run's instrument file was not found: no range to fit the relaxation against.")
            return section
        }
        let nv = instrument.device.nonVolatile
        let range = nv.gMaxSiemens.mean - nv.gMinSiemens.mean
        let fit = RetentionFit.fit(series, rangeSiemens: range)
        if let fit {
            section.paragraph(String(format: "%d cells, %d changes between reads up to %@ after programming: relaxation %.3g %% of the range per square-root decade (%.3g %% within a day), read noise %@.",
                                     fit.cells, fit.changes, SIText.format(fit.longestSeconds, unit: "s"), fit.relaxationSpreadPerDecade * 100,
                                     fit.relaxationSpreadPerDecade * log10(86_400).squareRoot() * 100, SIText.format(fit.readNoiseSiemens, unit: "S")))
        }
        var plot = XYPlot(title: "Drift from the level before the first second (dashed: fitted ±1σ, ±2σ)",
                          x: .init(label: "log10 of the time since programming in seconds", unit: ""),
                          y: .init(label: "Drift, % of the range", unit: ""))
        plot.width = 640
        for (i, s) in series.prefix(12).enumerated() {
            let early = zip(s.x, s.ySiemens).filter { $0.0 < 1 }.map(\.1)
            guard let base = early.isEmpty ? s.ySiemens.first : early.reduce(0, +) / Double(early.count) else { continue }
            plot.line(zip(s.x, s.ySiemens).map { (log10($0.0), ($0.1 - base) / range * 100) }, color: SeriesColor.at(i))
        }
        if let fit, let last = series.compactMap({ $0.x.last }).max(), let first = series.compactMap({ $0.x.first }).min() {
            let times = (0...40).map { first * pow(last / first, Double($0) / 40) }
            for k in [-2.0, -1.0, 1.0, 2.0] {
                plot.line(times.map { (log10($0), k * fit.driftSiemens(after: $0) / range * 100) }, color: "#000000", dashed: true)
            }
        }
        section.figures.append(plot.figure)
        return section
    }
}
