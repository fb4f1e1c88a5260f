import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// `xbar retention`: program cells to mid-range, read them at log-spaced times, fit their relaxation.
struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Read chosen cells at log-spaced times after programming them and fit their relaxation.",
        discussion: """
            The cells are programmed to about mid-range (strong RESETs, then reference SETs, in \
            PULSE_BATCH requests), then read with --averages at --points-per-decade log-spaced \
            times from --first to --last seconds after programming. Waits up to --board-timed \
            seconds are timed by the board's clock (read trains); later ones by the host, so a run \
            of hours can be stopped and continued with --resume RUN, which takes the run's own \
            schedule, reads and waits (on a physical board: a \
            simulated board forgets its cells' history when the process ends). On --board sim \
            every wait is board-timed: its clock moves only when it works. The fit gives the \
            relaxation spread per decade as a fraction of the instrument's range; \
            `xbar calibrate --retention RUN` puts it into a calibration. Recorded as a run of kind \
            "retention"; `xbar runs export RUN --out retention.csv` gives every read.

            Examples:
              xbar retention --board sim --instrument usb-4x64 --cells row:0 --last 86400 --board-timed 86400
              xbar retention --board serial:/dev/ttyUSB0 --instrument serial-32x32 --cells row:3 --last 7200
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var selection: CellSelection
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "First read after programming, seconds (100ms, 0.1).", transform: QuantityArgument.seconds)
    var first: Double = 0.1

    @Option(help: "Last read after programming, seconds (86400 for a day, 3.6ks).", transform: QuantityArgument.seconds)
    var last: Double = 3600

    @Option(help: "Reads per decade of time.")
    var pointsPerDecade = 4

    @Option(help: "Waits up to this many seconds after programming are timed by the board; later ones by the host.",
            transform: QuantityArgument.seconds)
    var boardTimed: Double = 60

    @Option(help: "Reads the board averages per cell and point.")
    var averages = 64

    @Option(help: "Read voltage, volts. Default: the instrument's read voltage.", transform: QuantityArgument.volts)
    var readVolts: Double?

    @Option(help: "Continue the retention run with this id: read the points it has not read yet (host-timed).")
    var resume: Int64?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
        try OptionCheck.require(averages, "--averages", in: 1...Int(UInt16.max))
        try OptionCheck.requireWait(boardTimed, "--board-timed")
        do { _ = try RetentionSchedule(firstSeconds: first, lastSeconds: last, pointsPerDecade: pointsPerDecade) } catch {
            throw ValidationError("--first, --last, --points-per-decade: \(error)")
        }
    }

    func run() throws {
        progress.activate()
        let instrument = try boardOptions.simulation.loadInstrument()
        var volts = readVolts ?? instrument.defaultReadVolts
        var averages = self.averages, boardTimed = self.boardTimed
        var schedule = try RetentionSchedule(firstSeconds: first, lastSeconds: last, pointsPerDecade: pointsPerDecade)
        let device = try boardOptions.simulation.deviceParameters(for: instrument)?.nonVolatile ?? instrument.device.nonVolatile
        let preparation: [ModulePulse]
        do { preparation = try device.midRangePulses(limits: instrument.limits) } catch { throw ValidationError("\(error)") }
        let store = try storeOptions.open()
        let (tile, cells): (UInt8, [CellIndex])
        var after = -1.0, programmedAt = Date()
        let id: Int64
        if let resume {
            let record = try store.run(resume)
            guard record.draft.kind == "retention" else { throw ValidationError("--resume \(resume): run \(resume) is a \(record.draft.kind) run, not a retention run") }
            guard record.status != .completed else { throw ValidationError("--resume \(resume): run \(resume) has completed") }
            let args = (try? JSONSerialization.jsonObject(with: Data(record.draft.argumentsJSON.utf8))) as? [String: String] ?? [:]
            guard let at = args["programmed_at"].flatMap(Double.init) else {
                throw ValidationError("--resume \(resume): the run never finished programming its cells; start a new one")
            }
            programmedAt = Date(timeIntervalSince1970: at)
            // The run continues as it started: its schedule, reads and waits.
            guard let first = args["first_seconds"].flatMap(Double.init), let last = args["last_seconds"].flatMap(Double.init),
                  let perDecade = args["points_per_decade"].flatMap(Int.init), let recordedAverages = args["averages"].flatMap(Int.init),
                  let recordedVolts = args["read_volts"].flatMap(Double.init), let recordedWaits = args["board_timed_seconds"].flatMap(Double.init)
            else { throw ValidationError("--resume \(resume): the run's recorded options are incomplete; start a new one") }
            schedule = try RetentionSchedule(firstSeconds: first, lastSeconds: last, pointsPerDecade: perDecade)
            (averages, volts, boardTimed) = (recordedAverages, recordedVolts, recordedWaits)
            let stored = try store.series(run: resume)
            guard let firstSeries = stored.first else { throw ValidationError("--resume \(resume): the run read nothing yet; start a new one") }
            tile = UInt8(firstSeries.tile)
            cells = stored.map { CellIndex(row: UInt16($0.row), column: UInt16($0.column)) }
            after = stored.map { $0.x.last ?? -1 }.max() ?? -1
            id = resume
            try store.finishRun(id, status: .running)
        } else {
            (tile, cells) = try CharacterizationRun.cells(selection, of: instrument)
            id = 0
        }
        try OptionCheck.requireRead(volts: volts, averages: averages, "--read-volts", limits: instrument.limits, instrument: instrument.name)
        let (board, _) = try boardOptions.openBoard()
        let runID: Int64
        let arguments = ["tile": String(tile), "cells": selection.cells, "first_seconds": String(first), "last_seconds": String(last),
                         "points_per_decade": String(pointsPerDecade), "board_timed_seconds": String(boardTimed),
                         "averages": String(averages), "read_volts": String(volts)]
        if resume == nil {
            runID = try store.startRun(try RunDraft.started(kind: "retention", board: board, options: boardOptions, instrument: instrument,
                                                            store: store, arguments: arguments, labels: labels))
        } else {
            runID = id
        }
        // The in-process simulated board's clock moves only when it works: host waits would not
        // age its cells, so every wait is timed by it.
        let boardTimedSeconds = board is SimulatedBoard ? max(boardTimed, schedule.lastSeconds) : boardTimed
        let job = RetentionJob(board: board, tile: tile, cells: cells, schedule: schedule, boardTimedSeconds: boardTimedSeconds,
                               readVolts: volts, averages: averages)
        let display = progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        job.shouldStop = { interruption.isRequested }
        job.onPoint = { done, _ in display.update(done: done) }
        try CharacterizationRun.finish(runID, store: store, display: display, interruption: interruption,
                                       resume: "xbar retention --resume \(runID) --store \(store.path) --board \(boardOptions.address) --instrument \(instrument.name)") {
            var programmedAtBoard: UInt64?
            if resume == nil {
                programmedAtBoard = try job.prepare(preparation, scheme: instrument.defaultBiasScheme,
                                                    maxPulsesPerBatch: ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)))
                programmedAt = Date()
                // The host time of programming is what a resumed run measures its later reads from.
                var recorded = (try? JSONSerialization.jsonObject(with: Data(try store.run(runID).draft.argumentsJSON.utf8))) as? [String: String] ?? [:]
                recorded["programmed_at"] = String(programmedAt.timeIntervalSince1970)
                try store.updateArguments(runID, json: String(decoding: try JSONSerialization.data(withJSONObject: recorded, options: [.sortedKeys]), as: UTF8.self))
            }
            display.begin("retention", total: schedule.times.count, unit: "points")
            try job.measure(after: after, programmedAtBoardNanoseconds: programmedAtBoard, programmedAt: programmedAt) {
                try store.appendSeries(run: runID, $0)
            }
        }
        let range = device.gMaxSiemens.mean - device.gMinSiemens.mean
        let fit = RetentionFit.fit(try store.series(run: runID), rangeSiemens: range)
        if let fit {
            print(String(format: "run %lld: %d cells read at %d times up to %.4g s; relaxation %.3g %% of the range per sqrt(decade) (%.3g %% within a day), read noise %.3g S",
                         runID, cells.count, schedule.times.count, fit.longestSeconds, fit.relaxationSpreadPerDecade * 100,
                         fit.relaxationSpreadPerDecade * log10(86_400).squareRoot() * 100, fit.readNoiseSiemens))
        } else {
            print("run \(runID): \(cells.count) cells read; too few reads after the first second to fit the relaxation")
        }
        JSONLines.emit("summary", ["run": runID, "status": "completed", "cells": cells.count, "points": schedule.times.count,
                                   "relaxationSpreadPerDecade": fit?.relaxationSpreadPerDecade ?? NSNull(),
                                   "readNoiseSiemens": fit?.readNoiseSiemens ?? NSNull(), "store": store.path])
    }
}
