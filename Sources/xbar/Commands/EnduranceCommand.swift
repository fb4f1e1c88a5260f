import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// `xbar endurance`: SET/RESET cycles with the window read every k cycles, until the cells fail.
struct EnduranceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endurance",
        abstract: "Cycle chosen cells SET/RESET, reading the on/off window every k cycles, and find when each fails.",
        discussion: """
            The cycles travel in PULSE_BATCH requests, timed by the board; after every --read-every \
            cycles the on state (after a SET) and the off state (after the RESET) are read with \
            --averages. A cell whose window falls below --failure-window of its first window has \
            failed: it is cycled no further, and its failure cycle is put midway between its last \
            good read and its first failed one (so --read-every is the resolution). Pulses default \
            to three overdrive scales beyond the device model's mean thresholds, at its reference \
            width: each moves a typical cell about ten reference steps. Recorded as a run of kind "endurance"; \
            `xbar runs export RUN --out window.csv` gives every read.

            Examples:
              xbar endurance --board sim --instrument usb-4x64 --cells row:0 --cycles 1e6 --read-every 2e4
              xbar endurance --board sim --instrument usb-4x64 --cells 0:0,0:1 --cycles 1000 --read-every 100 --set-volts 1.6 --reset-volts -1.8
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var selection: CellSelection
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "SET/RESET cycles to apply at most (1e6 or 1000000).", transform: { s in
        guard let v = Double(s), v >= 1, v <= 1e12, v == v.rounded() else { throw ValidationError("--cycles \(s): a whole number from 1 to 1e12") }
        return Int(v)
    })
    var cycles: Int

    @Option(help: "Read the window every this many cycles.", transform: { s in
        guard let v = Double(s), v >= 1, v <= 1e12, v == v.rounded() else { throw ValidationError("--read-every \(s): a whole number from 1 to 1e12") }
        return Int(v)
    })
    var readEvery: Int

    @Option(help: "SET amplitude, volts (default: three overdrive scales above the mean SET threshold).", transform: QuantityArgument.volts)
    var setVolts: Double?
    @Option(help: "RESET amplitude, volts, negative (default: three overdrive scales beyond the mean RESET threshold).", transform: QuantityArgument.volts)
    var resetVolts: Double?
    @Option(help: "Width of both pulses, seconds (default: the model's reference width).", transform: QuantityArgument.seconds)
    var width: Double?

    @Option(help: "A cell has failed when its window falls below this percentage of its first window.")
    var failureWindow: String = "25%"

    @Option(help: "Reads the board averages per cell and state.")
    var averages = 16

    @Option(help: "Read voltage, volts. Default: the instrument's read voltage.", transform: QuantityArgument.volts)
    var readVolts: Double?

    @Option(name: .customLong("bias-scheme"), help: "Bias scheme: grounded, half-voltage or third-voltage (default: the instrument's).")
    var scheme: BiasSchemeArgument?

    @OptionGroup var progress: ProgressOptions

    func failureFraction() throws -> Double {
        guard failureWindow.hasSuffix("%"), let p = Double(failureWindow.dropLast()), p > 0, p < 100 else {
            throw ValidationError("--failure-window \(failureWindow): a percentage between 0 and 100, e.g. 25%")
        }
        return p / 100
    }

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
        try OptionCheck.require(averages, "--averages", in: 1...Int(UInt16.max))
        _ = try failureFraction()
        if let setVolts, setVolts <= 0 { throw ValidationError("--set-volts \(setVolts): a SET is positive") }
        if let resetVolts, resetVolts >= 0 { throw ValidationError("--reset-volts \(resetVolts): a RESET is negative (--reset-volts -1.8)") }
        if readEvery > cycles { throw ValidationError("--read-every \(readEvery) is more than --cycles \(cycles)") }
        if cycles / readEvery > 100_000 { throw ValidationError("--cycles \(cycles) / --read-every \(readEvery) is more than 100000 reads per cell") }
    }

    func run() throws {
        progress.activate()
        let instrument = try boardOptions.simulation.loadInstrument()
        let volts = readVolts ?? instrument.defaultReadVolts
        try OptionCheck.requireRead(volts: volts, averages: averages, "--read-volts", limits: instrument.limits, instrument: instrument.name)
        let device = try boardOptions.simulation.deviceParameters(for: instrument)?.nonVolatile ?? instrument.device.nonVolatile
        let (tile, cells) = try CharacterizationRun.cells(selection, of: instrument)
        let set: ModulePulse, reset: ModulePulse
        do {
            let w = width ?? device.referenceWidthSeconds
            let pair = try device.switchingPair(limits: instrument.limits)
            set = try ModulePulse(volts: setVolts ?? pair.set.volts, seconds: w, "--set-volts", limits: instrument.limits)
            reset = try ModulePulse(volts: resetVolts ?? pair.reset.volts, seconds: w, "--reset-volts", limits: instrument.limits)
        } catch { throw ValidationError("\(error)") }
        let bias = scheme?.scheme ?? instrument.defaultBiasScheme
        let fraction = try failureFraction()
        let store = try storeOptions.open()
        let (board, _) = try boardOptions.openBoard()
        let id = try store.startRun(try RunDraft.started(
            kind: "endurance", board: board, options: boardOptions, instrument: instrument, store: store,
            arguments: ["tile": String(tile), "cells": selection.cells, "cycles": String(cycles), "read_every": String(readEvery),
                        "set_volts": String(set.volts), "reset_volts": String(reset.volts), "width_seconds": String(set.seconds),
                        "failure_window": String(fraction), "averages": String(averages), "read_volts": String(volts),
                        "scheme": String(describing: bias)], labels: labels))
        print("run \(id): \(cells.count) cells, up to \(cycles) cycles of SET \(set) / RESET \(reset), window read every \(readEvery)")
        let job = EnduranceJob(board: board, tile: tile, cells: cells, set: set, reset: reset, cycles: cycles, readEvery: readEvery,
                               readVolts: volts, averages: averages, scheme: bias, failureWindowFraction: fraction,
                               maxPulsesPerBatch: ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)))
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        job.shouldStop = { interruption.isRequested }
        job.onCheckpoint = { done, _ in display.update(done: done) }
        let started = Date()
        try CharacterizationRun.finish(id, store: store, display: display, interruption: interruption, resume: nil) {
            display.begin("endurance", total: cycles, unit: "cycles")
            try job.run { try store.appendSeries(run: id, $0) }
        }
        let analysis = EnduranceAnalysis(try store.series(run: id), failureWindowFraction: fraction)
        let failed = analysis.cells.filter { $0.failureCycle != nil }.count
        let median = analysis.medianFailureCycle.map { String(format: "%.4g", $0) } ?? "beyond \(cycles)"
        print("run \(id): \(failed) of \(analysis.cells.count) cells failed within \(cycles) cycles; median failure cycle \(median) "
              + String(format: "(%.1f s)", Date().timeIntervalSince(started)))
        JSONLines.emit("summary", ["run": id, "status": "completed", "cells": analysis.cells.count, "failed": failed,
                                   "medianFailureCycle": analysis.medianFailureCycle ?? NSNull(), "cycles": cycles, "store": store.path])
    }
}
