import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// `xbar stm`: pulse-based reading of short-term-memory state nodes.
struct STMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stm",
        abstract: "Sweep pulse amplitudes and widths over STM nodes and capture board-timed read trains.",
        discussion: """
            For every amplitude (volts) and width (seconds), and every repetition: wait on the \
            board's clock for the volatile state to decay (--settle-seconds, default six of the \
            slowest expected time constants of the selected nodes' device classes), apply the pulse (or --pulses back to back) to all \
            selected nodes, then read them --reads times every --interval seconds, timed by the \
            board. Traces carry board timestamps (nanoseconds) and conductances (siemens); \
            --csv writes one row per read. Each node's history is then fitted and its decay time \
            constant printed (each fit starts from the node's own device class). The traces are stored in a run of kind "stm" in the run store \
            (`xbar runs export RUN --format csv --out traces.csv`).

            Nodes: ROW:COLUMN items separated by commas, ROW:C1-C2 for a range of columns, \
            ROW1:C1-ROW2:C2 for a block, or all.

            Example:
              xbar stm --board sim --instrument usb-4x64 --nodes 0:0-0:7 --amplitudes 1.2,1.4,1.6 \\
                --widths 1e-6,1e-5 --reads 50 --interval 1e-3 --csv traces.csv
            """)

    @OptionGroup var board: BoardOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "State tile (default: the instrument's first STM tile).")
    var tile: UInt8?

    @Option(help: ArgumentHelp("Nodes: all, or \(CellAddressList.grammar).", valueName: "nodes"))
    var nodes: String

    @Option(help: "Pulse amplitudes, volts, comma-separated (1.2,1.6 or 1.2V,1600mV).")
    var amplitudes: String

    @Option(help: "Pulse widths, seconds, comma-separated (1e-6,1e-5 or 1us,10us).")
    var widths: String

    @Option(help: "Reads per train.")
    var reads: Int = 50

    @Option(help: "Time between reads, seconds (1e-3, 1ms). Default: 1ms.", transform: QuantityArgument.seconds)
    var interval: Double = 1e-3

    @Option(help: "Pulses applied back to back at each sweep point.")
    var pulses: Int = 1

    @Option(help: "Repetitions of the whole sweep.")
    var repetitions: Int = 1

    @Option(name: .customLong("settle-seconds"), help: "Wait before each sweep point, seconds (0.5, 500ms; default: 6 x the slowest expected time constant).",
            transform: QuantityArgument.seconds)
    var settle: Double?

    @Option(name: .customLong("read-volts"), help: "Read voltage, volts (0.1, 100mV; default: the instrument's STM read voltage).",
            transform: QuantityArgument.volts)
    var readVolts: Double?

    @Option(help: "Write the traces as CSV to this file.")
    var csv: String?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try board.simulation.requireInstrument()
        try OptionCheck.require(reads, "--reads", in: 1...Int(UInt16.max))
        try OptionCheck.require(pulses, "--pulses", in: 1...Int(UInt16.max))
        try OptionCheck.require(repetitions, "--repetitions", in: 1...10_000)
        try OptionCheck.requireWait(interval, "--interval", positive: true)
        if let settle { try OptionCheck.requireWait(settle, "--settle-seconds", positive: true) }
        if let csv { try OutputPath.check(csv, "--csv") }
    }

    func run() throws {
        progress.activate()
        // Everything is checked against the instrument before the board is opened or a run created.
        let instrument = try board.simulation.loadInstrument()
        let device = try board.simulation.deviceParameters(for: instrument)
        guard let info = tile.map({ instrument.tile($0) }) ?? instrument.stateTiles.first else {
            throw ValidationError("--tile: instrument \(instrument.name) has no STM state tile\(tile.map { " \($0)" } ?? "")")
        }
        let selected = try Self.parseNodes(nodes, rows: info.rows, columns: info.columns)
        let amplitudeList = try Self.parseNumbers(amplitudes, option: "--amplitudes", unit: .volts)
        let widthList = try Self.parseNumbers(widths, option: "--widths", unit: .seconds)
        // Each node's population: its row's device class, or the default one.
        let deviceModel = device ?? instrument.device
        var populations: [UInt16: ShortTermMemoryCellParameters] = [:]
        for row in Set(selected.map(\.row)) {
            guard let p = instrument.stmParameters(tile: info.index, row: Int(row), in: deviceModel) else {
                throw ValidationError("--calibration: the device model has no STM device class \(instrument.stmDeviceClass(tile: info.index, row: Int(row)) ?? "") for row \(row)")
            }
            populations[row] = p
        }
        let slowest = populations.values.map { model in
            max(model.tauSeconds.mean * (1 + 3 * model.tauSeconds.spread),
                model.slowFraction > 0 ? model.slowTauSeconds.mean * (1 + 3 * model.slowTauSeconds.spread) : 0)
        }.max() ?? 0
        let sweep = STMSweep(tile: info.index, nodes: selected,
                             points: STMSweep.grid(amplitudesVolts: amplitudeList, widthsSeconds: widthList, pulseCount: pulses),
                             repetitions: repetitions, readCount: reads, intervalSeconds: interval,
                             readVolts: readVolts ?? instrument.stmReadVolts, settleSeconds: settle ?? 6 * slowest,
                             scheme: instrument.defaultBiasScheme)
        do { try sweep.validate(against: instrument.limits, tile: info) } catch { throw ValidationError("\(error)") }
        let (target, _) = try board.openBoard()
        let store = try storeOptions.open()
        let payload = Int(try target.identify().maxPayloadBytes)
        let id = try store.startRun(try RunDraft.started(
            kind: "stm", board: target, options: board, instrument: instrument, store: store,
            arguments: ["tile": String(info.index), "nodes": nodes, "amplitudes": amplitudes, "widths": widths, "reads": String(reads),
                        "interval": String(interval), "pulses": String(pulses), "repetitions": String(repetitions),
                        "settle": String(sweep.settleSeconds), "read_volts": String(sweep.readVolts)], labels: labels))
        let traces: [STMTrace]
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        // Traces are stored together once the sweep ends: stopping during it loses no record.
        interruption.abandonAtOnce { [store, id] in
            try? store.finishRun(id, status: .interrupted, message: "stopped during the sweep; no trace stored")
            FileHandle.standardError.write(Data("\nrun \(id) interrupted during the sweep; no trace was stored (run the command again)\n".utf8))
        }
        do {
            var started = false
            traces = try sweep.run(on: target, limits: instrument.limits, tile: info, maxPayloadBytes: payload) { done, total in
                if !started {
                    started = true
                    display.begin("sweep", total: total, unit: "points")
                }
                display.update(done: done)
            }
            display.end()
            interruption.waitForBoundary()
            try store.saveTraces(run: id, traces.map(\.record))
            try store.finishRun(id, status: .completed)
            // The run is complete; what follows only fits and prints, and Ctrl-C simply ends it.
            interruption.stop()
        } catch {
            display.abandon()
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw error
        }
        print("run \(id): stored \(traces.count) traces in \(store.path)")
        if let csv {
            try traces.csv().write(toFile: csv, atomically: true, encoding: .utf8)
            print("wrote \(traces.count) traces to \(csv)")
        }
        // Peak increment per sweep point, then each node's fitted time constant.
        for (i, point) in sweep.points.enumerated() {
            let first = traces.filter { $0.point == i }.compactMap { $0.conductancesSiemens.first }
            let mean = first.isEmpty ? 0 : first.reduce(0, +) / Double(first.count)
            print(String(format: "point %d: %.3g V, %.3g s x %d: mean first read %.4g S", i, point.amplitudeVolts, point.widthSeconds, point.pulseCount, mean))
        }
        var taus: [Double] = []
        for node in selected {
            // Each node's fit starts from its own population's values.
            let guess = DecayLaw(startingFrom: populations[node.row]!)
            let history = DecayHistory(traces: traces.filter { $0.node == node })
            guard let fit = try? DecayFit.fit(history, guess: guess) else {
                print("node \(node): could not be fitted (too few reads after pulses above threshold)")
                JSONLines.emit("node", ["tile": Int(info.index), "row": Int(node.row), "column": Int(node.column), "fitted": false])
                continue
            }
            taus.append(fit.law.tauSeconds)
            let deviceClass = instrument.stmDeviceClass(tile: info.index, row: Int(node.row)).map { " (\($0))" } ?? ""
            print(String(format: "node %d:%d: tau %.4g ± %.2g s", node.row, node.column, fit.law.tauSeconds, fit.tauUncertainty) + deviceClass)
            JSONLines.emit("node", ["tile": Int(info.index), "row": Int(node.row), "column": Int(node.column), "fitted": true,
                                    "tauSeconds": fit.law.tauSeconds, "tauUncertaintySeconds": fit.tauUncertainty,
                                    "deviceClass": instrument.stmDeviceClass(tile: info.index, row: Int(node.row)) ?? NSNull()])
        }
        // One group per device class among the selected nodes when they are of several, else four.
        let classCount = Set(selected.map { instrument.stmDeviceClass(tile: info.index, row: Int($0.row)) }).count
        for (i, group) in TimeConstantGroup.cluster(taus, count: min(classCount > 1 ? classCount : 4, taus.count)).enumerated() {
            print(String(format: "group %d: tau %.4g s (%.4g to %.4g s), %d nodes", i, group.centerSeconds, group.minSeconds, group.maxSeconds, group.members.count))
            JSONLines.emit("group", ["group": i, "centerSeconds": group.centerSeconds, "minSeconds": group.minSeconds,
                                     "maxSeconds": group.maxSeconds, "nodes": group.members.count])
        }
        JSONLines.emit("summary", ["run": id, "status": "completed", "traces": traces.count, "fittedNodes": taus.count,
                                   "reads": traces.reduce(0) { $0 + $1.conductancesSiemens.count }, "store": store.path])
    }

    /// Comma-separated positive quantities of `unit`, with optional SI prefixes and unit symbols.
    static func parseNumbers(_ text: String, option: String, unit: SIUnit) throws -> [Double] {
        let values: [Double]
        do { values = try SIQuantity.parseList(text, unit: unit) } catch { throw ValidationError("\(option) \(text): \(error)") }
        if let bad = values.firstIndex(where: { $0 <= 0 }) {
            throw ValidationError("\(option) \(text): item \(bad + 1) is not a positive number of \(unit.name)")
        }
        return values
    }

    static func parseNodes(_ text: String, rows: UInt16, columns: UInt16) throws -> [CellIndex] {
        if text == "all" {
            return (0..<rows).flatMap { r in (0..<columns).map { CellIndex(row: r, column: $0) } }
        }
        return try CellAddressList.parse(text, option: "--nodes", rows: rows, columns: columns)
    }
}
