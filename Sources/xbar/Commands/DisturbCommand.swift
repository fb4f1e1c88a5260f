import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// `xbar disturb`: how many pulses on one cell move its half-selected neighbours, per bias scheme.
struct DisturbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disturb",
        abstract: "Count the pulses on one cell that move its half-selected neighbours by 1 % of the range, per bias scheme.",
        discussion: """
            For each --schemes entry a different cell of the tile is pulsed (--volts, --width) in \
            doubling rounds up to --max-pulses, and --victims of its nearest half-selected \
            neighbours in its row (a column neighbour's read would carry the currents of the other \
            disturbed cells of that column), first brought to mid-range, are read \
            after every round. The count is the first read at which a neighbour had moved by \
            --threshold of the model's range; the median over the neighbours is reported per \
            scheme ("beyond N" when it never was). On 1T1R tiles the access transistors isolate the \
            neighbours and nothing moves. Recorded as a run of kind "disturb".

            Example:
              xbar disturb --board sim --instrument serial-32x32 --schemes half-voltage,third-voltage --volts 2.5 --max-pulses 4096
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "Tile index (see xbar identify).")
    var tile: UInt8 = 0

    @Option(help: "Bias schemes to compare, comma-separated: grounded, half-voltage, third-voltage.")
    var schemes: String = "half-voltage,third-voltage"

    @Option(parsing: .unconditional, help: "Amplitude of the disturbing pulses, volts (negative to RESET). Default: 1.8 times the mean SET threshold.",
            transform: QuantityArgument.volts)
    var volts: Double?

    @Option(help: "Width of the disturbing pulses, seconds. Default: the model's reference width.", transform: QuantityArgument.seconds)
    var width: Double?

    @Option(help: "Most pulses per scheme.")
    var maxPulses = 16384

    @Option(help: "Neighbours watched per scheme.")
    var victims = 8

    @Option(help: "How far a neighbour must move, a percentage of the range.")
    var threshold: String = "1%"

    @Option(help: "Reads the board averages per neighbour and round.")
    var averages = 64

    @OptionGroup var progress: ProgressOptions

    func parsedSchemes() throws -> [BiasScheme] {
        try schemes.split(separator: ",").map { name in
            guard let s = BiasSchemeArgument(argument: String(name)) else {
                throw ValidationError("--schemes \(schemes): \"\(name)\" is not grounded, half-voltage or third-voltage")
            }
            return s.scheme
        }
    }

    func thresholdFraction() throws -> Double {
        guard threshold.hasSuffix("%"), let p = Double(threshold.dropLast()), p > 0, p < 100 else {
            throw ValidationError("--threshold \(threshold): a percentage between 0 and 100, e.g. 1%")
        }
        return p / 100
    }

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
        try OptionCheck.require(maxPulses, "--max-pulses", in: 1...10_000_000)
        try OptionCheck.require(victims, "--victims", in: 1...1024)
        try OptionCheck.require(averages, "--averages", in: 1...Int(UInt16.max))
        _ = try thresholdFraction()
        _ = try parsedSchemes()
    }

    func run() throws {
        progress.activate()
        let instrument = try boardOptions.simulation.loadInstrument()
        let device = try boardOptions.simulation.deviceParameters(for: instrument)?.nonVolatile ?? instrument.device.nonVolatile
        let schemeList = try parsedSchemes()
        let fraction = try thresholdFraction()
        guard let info = instrument.tile(tile), info.kind.isNonVolatile else {
            throw ValidationError("--tile \(tile): not a non-volatile tile of \(instrument.name)")
        }
        let rows = Int(info.rows), columns = Int(info.columns)
        let stress: ModulePulse, preparation: [ModulePulse]
        do {
            stress = try ModulePulse(volts: volts ?? 1.8 * device.setThresholdVolts.mean, seconds: width ?? device.referenceWidthSeconds,
                                     "--volts", limits: instrument.limits)
            preparation = try device.midRangePulses(limits: instrument.limits)
        } catch { throw ValidationError("\(error)") }
        let volts = instrument.defaultReadVolts
        let store = try storeOptions.open()
        let (board, _) = try boardOptions.openBoard()
        let id = try store.startRun(try RunDraft.started(
            kind: "disturb", board: board, options: boardOptions, instrument: instrument, store: store,
            arguments: ["tile": String(tile), "schemes": schemes, "volts": String(stress.volts), "width_seconds": String(stress.seconds),
                        "max_pulses": String(maxPulses), "victims": String(victims), "threshold": String(fraction),
                        "averages": String(averages)], labels: labels))
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        try CharacterizationRun.finish(id, store: store, display: display, interruption: interruption, resume: nil) {
            for (k, scheme) in schemeList.enumerated() {
                // Each scheme stresses its own cell, spread along the diagonal, so one scheme's
                // neighbours start fresh for the next.
                let at = UInt16((k + 1) * min(rows, columns) / (schemeList.count + 1))
                let aggressor = CellIndex(row: at, column: at)
                let job = DisturbJob(board: board, tile: tile, aggressor: aggressor,
                                     victims: DisturbJob.neighbours(of: aggressor, columns: columns, count: min(victims, columns - 1)),
                                     stress: stress, scheme: scheme, maxPulses: maxPulses, readVolts: volts, averages: averages,
                                     maxPulsesPerBatch: ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)))
                job.shouldStop = { interruption.isRequested }
                job.onPulses = { done, _ in display.update(done: done) }
                display.begin("\(scheme)", total: maxPulses, unit: "pulses")
                try job.run(preparation: preparation) { try store.appendSeries(run: id, $0) }
                display.end()
            }
        }
        let range = device.gMaxSiemens.mean - device.gMinSiemens.mean
        let analysis = DisturbAnalysis(try store.series(run: id), rangeSiemens: range, thresholdFraction: fraction)
        var perScheme: [String: Any] = [:]
        for s in analysis.schemes {
            let name = String(s.series.dropFirst("disturb_".count))
            print("run \(id): \(name): \(s.medianPulses.map { "\($0) pulses" } ?? "beyond \(s.maxPulses) pulses") of \(stress) move half the neighbours by \(threshold) of the range")
            perScheme[name] = s.medianPulses ?? NSNull()
        }
        JSONLines.emit("summary", ["run": id, "status": "completed", "medianPulses": perScheme, "maxPulses": maxPulses, "store": store.path])
    }
}
