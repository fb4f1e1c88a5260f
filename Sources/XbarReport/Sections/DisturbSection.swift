import Foundation
import XbarInstrument
import XbarJobs
import XbarStore

/// A disturb run: how far the half-selected neighbours moved against the pulses on their
/// neighbour, per bias scheme.
enum DisturbSection {
    static func make(store: RunStore, run: RunRecord, instrument: Instrument?) throws -> ReportSection? {
        guard run.draft.kind == "disturb", let instrument else { return nil }
        let series = try store.series(run: run.id)
        guard !series.isEmpty else { return nil }
        let nv = instrument.device.nonVolatile
        let range = nv.gMaxSiemens.mean - nv.gMinSiemens.mean
        let arguments = (try? JSONSerialization.jsonObject(with: Data(run.draft.argumentsJSON.utf8))) as? [String: String]
        let threshold = arguments?["threshold"].flatMap(Double.init) ?? 0.01
        let analysis = DisturbAnalysis(series, rangeSiemens: range, thresholdFraction: threshold)
        var section = ReportSection(title: "Disturb")
        var rows = [["bias scheme", "pulses to move half the neighbours by \(threshold * 100) %", "neighbours"]]
        var plot = XYPlot(title: "Median drift of the half-selected neighbours", x: .init(label: "log10 of the pulses so far", unit: ""),
                          y: .init(label: "Drift, % of the range", unit: "", includeZero: true))
        for (i, scheme) in analysis.schemes.enumerated() {
            let name = String(scheme.series.dropFirst("disturb_".count))
            rows.append([name, scheme.medianPulses.map(String.init) ?? "beyond \(scheme.maxPulses)", "\(scheme.counts.count)"])
            let cells = series.filter { $0.series == scheme.series }
            guard let points = cells.first?.x else { continue }
            var curve: [(Double, Double)] = []
            for (k, x) in points.enumerated() where x > 0 {
                let drifts = cells.compactMap { c in k < c.ySiemens.count ? abs(c.ySiemens[k] - c.ySiemens[0]) / range * 100 : nil }.sorted()
                if !drifts.isEmpty { curve.append((log10(x), drifts[(drifts.count - 1) / 2])) }
            }
            plot.line(curve, color: SeriesColor.at(i), label: name)
        }
        section.table(rows)
        section.figures.append(plot.figure)
        return section
    }
}
