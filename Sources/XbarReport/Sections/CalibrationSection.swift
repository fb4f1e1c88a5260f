import Foundation
import XbarDevice
import XbarJobs
import XbarStore

/// A calibration's pulse-response curves with the soft-bounded law fitted to each cell drawn
/// over them, and the device-to-device spread of the fitted step rates and bounds.
enum CalibrationSection {
    static func make(store: RunStore, run: RunRecord) throws -> ReportSection? {
        let curves = try store.pulseResponses(run: run.id)
        guard !curves.isEmpty else { return nil }
        var section = ReportSection(title: "Pulse responses")
        let cells = Array(Set(curves.map { [$0.tile, $0.row, $0.column] })).sorted { $0.lexicographicallyPrecedes($1) }
        section.paragraph("\(curves.count) pulse-response curves of \(cells.count) cells.")
        for c in try store.calibrations(madeBy: run.id) {
            section.paragraph("Made calibration \(c.id): \(c.path ?? "(no path)"), digest \(c.contentDigest.prefix(16)).")
        }
        var fitted: [(cell: [Int], polarity: SwitchingPolarity, fit: PulseResponseFit, curves: [PulseResponseCurve])] = []
        for cell in cells {
            for polarity in [SwitchingPolarity.set, .reset] {
                let own = curves.filter { [$0.tile, $0.row, $0.column] == cell && $0.polarity == polarity.rawValue }
                    .map { PulseResponseCurve(polarity: polarity, amplitudeVolts: $0.amplitudeVolts, widthSeconds: $0.widthSeconds,
                                              conductancesSiemens: $0.conductancesSiemens) }
                guard !own.isEmpty, let fit = try? PulseResponseFit.fit(own) else { continue }
                fitted.append((cell, polarity, fit, own))
            }
        }
        for polarity in [SwitchingPolarity.set, .reset] {
            var plot = XYPlot(title: "\(polarity.rawValue.uppercased()) curves of four cells (dashed: fitted law)",
                              x: .init(label: "Pulse", unit: ""), y: .init(label: "Conductance", unit: "S"))
            for (i, f) in fitted.filter({ $0.polarity == polarity }).prefix(4).enumerated() {
                let color = SeriesColor.at(i)
                for (k, curve) in f.curves.prefix(2).enumerated() {
                    plot.points(curve.conductancesSiemens.enumerated().map { (Double($0.offset), $0.element) }, color: color, radius: 1.8,
                                label: k == 0 ? "tile \(f.cell[0]) cell \(f.cell[1]):\(f.cell[2])" : nil)
                    let model = curve.predicted(rate: f.fit.rates[k], boundSiemens: f.fit.boundSiemens)
                    plot.line(model.enumerated().map { (Double($0.offset), $0.element) }, color: color, dashed: true)
                }
            }
            if !plot.marks.isEmpty { section.figures.append(plot.figure) }
        }
        let setFits = fitted.filter { $0.polarity == .set }
        if setFits.count > 1 {
            var rates = XYPlot(title: "Device to device: SET step rate of the first condition", x: .init(label: "Rate per pulse", unit: ""),
                               y: .init(label: "Cells", unit: ""))
            rates.bars(Histogram.bins(setFits.compactMap(\.fit.rates.first), count: 16), color: SeriesColor.at(0))
            section.figures.append(rates.figure)
            var bounds = XYPlot(title: "Device to device: fitted Gmax", x: .init(label: "Gmax", unit: "S"), y: .init(label: "Cells", unit: ""))
            bounds.bars(Histogram.bins(setFits.map(\.fit.boundSiemens), count: 16), color: SeriesColor.at(1))
            section.figures.append(bounds.figure)
        }
        return section
    }
}
