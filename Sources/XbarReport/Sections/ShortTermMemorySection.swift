import Foundation
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore

/// STM read trains: decay traces of a few nodes with their fitted law, and the distribution
/// and groups of the fitted time constants.
enum ShortTermMemorySection {
    static func make(store: RunStore, run: RunRecord, instrument: Instrument?) throws -> ReportSection? {
        let records = try store.traces(run: run.id)
        guard !records.isEmpty else { return nil }
        let traces = records.map(STMTrace.init)
        var section = ReportSection(title: "STM decay")
        let nodes = Array(Set(traces.map { [Int($0.tile), Int($0.node.row), Int($0.node.column)] })).sorted { $0.lexicographicallyPrecedes($1) }
        section.paragraph("\(traces.count) board-timed read trains of \(nodes.count) nodes, \(traces.reduce(0) { $0 + $1.conductancesSiemens.count }) reads.")

        var fits: [(node: [Int], fit: DecayFit, history: DecayHistory)] = []
        for node in nodes {
            let own = traces.filter { Int($0.tile) == node[0] && Int($0.node.row) == node[1] && Int($0.node.column) == node[2] }
            guard let instrument, let population = instrument.stmParameters(tile: UInt8(node[0]), row: node[1], in: instrument.device) else { continue }
            let history = DecayHistory(traces: own)
            if let fit = try? DecayFit.fit(history, guess: DecayLaw(startingFrom: population)) { fits.append((node, fit, history)) }
        }
        if instrument == nil { section.paragraph("The run's instrument file was not found: traces are drawn without fits.") }

        // Traces of up to six nodes against board time, each with its fitted law.
        var plot = XYPlot(title: "Read trains against board time (dashed: fitted decay law)",
                          x: .init(label: "Board time from the first read", unit: "s"), y: .init(label: "Conductance", unit: "S"))
        plot.width = 640
        let shown = Array(nodes.prefix(6))
        let origin = traces.compactMap { $0.timestampsNanoseconds.first }.min() ?? 0
        for (i, node) in shown.enumerated() {
            let own = traces.filter { Int($0.tile) == node[0] && Int($0.node.row) == node[1] && Int($0.node.column) == node[2] }
            let reads = own.flatMap { t in zip(t.timestampsNanoseconds, t.conductancesSiemens).map { (Double($0.0 &- origin) * 1e-9, $0.1) } }
                .sorted { $0.0 < $1.0 }
            plot.points(reads, color: SeriesColor.at(i), radius: 1.8, label: "tile \(node[0]) node \(node[1]):\(node[2])")
            if let fitted = fits.first(where: { $0.node == node }) {
                let readTimes = fitted.history.events.compactMap { event -> Double? in
                    if case .read = event { return event.timeSeconds } else { return nil }
                }
                let predicted = fitted.fit.law.predictedReads(fitted.history)
                let first = Double(origin) * 1e-9
                plot.line(zip(readTimes, predicted).map { ($0.0 - first, $0.1) }, color: SeriesColor.at(i), dashed: true)
            }
        }
        section.figures.append(plot.figure)

        if !fits.isEmpty {
            let taus = fits.map(\.fit.law.tauSeconds)
            var histogram = XYPlot(title: "Fitted time constants of \(taus.count) nodes", x: .init(label: "τ", unit: "s"),
                                   y: .init(label: "Nodes", unit: ""))
            histogram.bars(Histogram.bins(taus, count: 24), color: SeriesColor.at(2))
            section.figures.append(histogram.figure)
            let classes = Set(fits.map { instrument?.stmDeviceClass(tile: UInt8($0.node[0]), row: $0.node[1]) ?? "" }).count
            let groups = TimeConstantGroup.cluster(taus, count: min(classes > 1 ? classes : 4, taus.count))
            var rows = [["group", "centre τ", "from", "to", "nodes"]]
            for (i, g) in groups.enumerated() {
                rows.append(["\(i)", SIText.format(g.centerSeconds, unit: "s"), SIText.format(g.minSeconds, unit: "s"),
                             SIText.format(g.maxSeconds, unit: "s"), "\(g.members.count)"])
            }
            section.table(rows)
        }
        return section
    }
}
