import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore

/// `xbar calibrate`: measure a board's devices, fit their model, write a calibration file.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measure a board's devices and fit its device model into a calibration file.",
        discussion: """
            Measures pulse-response curves (SET and RESET at four amplitudes at the reference \
            width and three near the threshold at a longer width) on a sample of non-volatile \
            cells spread over the weight tiles, repeated reads for read \
            noise, and board-timed STM read trains after pulse bursts at several amplitudes; then \
            fits per-device parameters (Levenberg-Marquardt, uncertainties from the covariance) and \
            their device-to-device distributions. One amplitude's curves and one repetition of the \
            STM sweep are held out and predicted; their RMS error (relative to the cell's range, or \
            the node's volatile range) is printed and stored. STM time constants are reported per \
            node and in --tau-groups groups (optimal 1-D k-means on log tau). On a board whose STM \
            rows are several device classes, each class is measured with read trains timed for its \
            own time constants and fitted as its own population (written under \
            device.shortTermMemoryClasses), and the time constants fall into one group per class.

            Then the array periphery, on one weight tile (--periphery-tile, default the last): \
            EVERY CELL OF THAT TILE IS OVERWRITTEN, driven to its lower or upper bound in two fixed \
            random patterns in turn (rows, then columns, 5-95 % high) with the same strong pulses \
            that prepare the curves (which already leave the sampled cells at their upper bound); \
            the tile is left holding the second pattern. With each pattern every cell is read at \
            the read voltage, a half, a quarter and an eighth of it (on passive tiles eight even \
            steps down to the eighth), all scaled down together when a first read shows the \
            highest would pass the converter's full scale (sneak currents on passive tiles); \
            --periphery-probes MVM probe vectors (dense, signed, sparse, row blocks), their \
            amplitude set by a trial product with every row driven, are compared with the products those reads \
            predict, and line resistance (per cell pitch and per line), each column's gain and \
            offset, the converters' bow and, on passive tiles, the half-select current fraction \
            of the sneak paths are fitted; one probe in five is held out and predicted. \
            Unless --periphery-tile names one, every other weight tile of the same geometry is \
            measured the same way (ITS CELLS ARE OVERWRITTEN TOO) for its own column gains and \
            offsets, which a twin of the chip needs on every tile its products run on. \
            --periphery-probes 0 leaves the tiles alone.

            The measurements (STM read trains, pulse-response curves) are stored in a run of kind \
            "calibrate" in the run store, and the written file is registered there with its \
            content digest; the file names its run (`xbar runs show RUN`, \
            `xbar runs export RUN --format csv --out traces.csv`).

            Units: volts, seconds, siemens. The file is JSON or YAML by the extension of --out; \
            use it with `--board sim --calibration FILE`. An --out in a missing or unwritable \
            folder is refused before anything is measured.

            Each part (the curves, each STM population, the periphery) is saved in the run as soon \
            as it is measured. Ctrl-C or SIGTERM stops before the next part, marks the run \
            interrupted and prints the command that resumes it (exit status 130); --resume RUN \
            measures only the parts still missing, on the board, instrument and seed the run \
            started with. --refit RUN fits a finished run's stored measurements again, without a \
            board, and writes the file (to --out, default the run's own). Progress goes to \
            standard error (-q for none). --retention RUN fits the relaxation from a retention run \
            (`xbar retention`) and writes it into the file, which then no longer lists it as not measured.

            Example:
              xbar calibrate --board sim --instrument usb-4x64 --seed 7 --out cal.yaml
              xbar calibrate --board sim --instrument usb-4x64-multitau --seed 1 --out multitau.json
              xbar calibrate --resume 3
              xbar calibrate --refit 3 --out refit.yaml
              xbar calibrate --refit 3 --retention 5 --out with-relaxation.yaml
            """)

    @OptionGroup var board: BoardOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "Calibration file to write (.json, .yaml or .yml). With --resume or --refit, default: the run's.")
    var out: String?

    @Option(name: .customLong("cell-count"), help: "How many non-volatile cells to measure, spread over the weight tiles.")
    var cells: Int = 64

    @Option(name: .customLong("node-count"), help: "How many STM nodes to measure (default: all of the first state tile).")
    var nodes: Int?

    @Option(name: .customLong("tau-groups"), help: "Groups to split the STM time constants into (default: the number of STM device classes when the state tile has several, else 4).")
    var tauGroups: Int?

    @Option(name: .customLong("stm-repetitions"), help: "Repetitions of the STM sweep (one is held out when 3 or more).")
    var stmRepetitions: Int = 3

    @Option(name: .customLong("periphery-tile"), help: "Weight tile the array periphery is measured on, alone (default: the last, with the column amplifiers of every other weight tile); all cells of the measured tiles are overwritten.")
    var peripheryTile: UInt8?

    @Option(name: .customLong("periphery-probes"), help: "MVM probe vectors per pattern of the periphery measurement (default 65536 column currents' worth, 1024 on 64 columns; 0: do not measure the periphery, leave the tile alone).")
    var peripheryProbes: Int?

    @Option(name: .customLong("traces-csv"), help: "Also write the STM traces as CSV to this file.")
    var tracesCSV: String?

    @Option(help: "Continue the calibration run with this id: measure only its missing parts (its options are taken from the store).")
    var resume: Int64?

    @Option(help: "Fit the stored measurements of the calibration run with this id again and write the file; no board is reached.")
    var refit: Int64?

    @Option(help: "Fit the relaxation from this retention run (xbar retention) and put it into the calibration.")
    var retention: Int64?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if resume != nil && refit != nil { throw ValidationError("give --resume RUN or --refit RUN, not both") }
        if resume == nil && refit == nil {
            try board.simulation.requireInstrument()
            guard out != nil else { throw ValidationError("missing --out FILE: the calibration file to write (.json, .yaml or .yml)") }
        }
        if let out { try Self.checkOutput(out) }
        guard cells >= 0 else { throw ValidationError("--cells \(cells): expected 0 or more cells") }
        if let tauGroups, tauGroups < 1 { throw ValidationError("--tau-groups \(tauGroups): expected at least 1 group") }
        guard stmRepetitions >= 1 else { throw ValidationError("--stm-repetitions \(stmRepetitions): expected at least 1") }
        if let peripheryProbes, peripheryProbes != 0 && peripheryProbes < 20 {
            throw ValidationError("--periphery-probes \(peripheryProbes): expected 0 (no periphery measurement) or at least 20 probes")
        }
    }

    /// Refuses an output the file could not be written to, before anything is measured.
    ///
    /// - Throws: `ValidationError` naming the path: a wrong extension, a folder that does not
    ///   exist or cannot be written, or a path that is a folder.
    static func checkOutput(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        guard ["json", "yaml", "yml"].contains(url.pathExtension.lowercased()) else {
            throw ValidationError("--out \(path): name a .json, .yaml or .yml file (the format is taken from the extension)")
        }
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--out \(path): the folder \(folder) does not exist; create it first")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw ValidationError("--out \(path): the folder \(folder) is not writable")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard !isFolder.boolValue else { throw ValidationError("--out \(path): is a folder, not a file") }
            guard FileManager.default.isWritableFile(atPath: path) else { throw ValidationError("--out \(path): the file is not writable") }
        }
    }

    /// What a calibration run records, enough to resume or refit it.
    struct Recorded {
        var out: String
        var cells: Int
        var nodes: Int?
        var tauGroups: Int?
        var stmRepetitions: Int
        var peripheryTile: UInt8?
        var peripheryProbes: Int?
        var board: String
        var instrument: String
        var calibration: String?
        var seed: UInt64?

        /// The arguments of a calibration run as stored.
        ///
        /// - Throws: `ValidationError` naming the run when they are not a calibration's.
        init(run: RunRecord) throws {
            let bad = ValidationError("run \(run.id): its recorded arguments are not a calibration's (\(run.draft.argumentsJSON))")
            guard let json = try? JSONDecoder().decode([String: String].self, from: Data(run.draft.argumentsJSON.utf8)),
                  let out = json["out"], let cells = json["cells"].flatMap(Int.init), let board = json["board"],
                  let instrument = json["instrument"], let repetitions = json["stm_repetitions"].flatMap(Int.init)
            else { throw bad }
            self.out = out
            self.cells = cells
            nodes = json["nodes"].flatMap(Int.init)
            tauGroups = json["tau_groups"].flatMap(Int.init)
            stmRepetitions = repetitions
            peripheryTile = json["periphery_tile"].flatMap(UInt8.init)
            peripheryProbes = json["periphery_probes"].flatMap(Int.init)
            self.board = board
            self.instrument = instrument
            calibration = json["calibration"]
            seed = json["seed"].flatMap(UInt64.init)
        }

        /// `options` reaching the board, instrument, calibration and seed the run started with.
        func boardOptions(from options: BoardOptions) -> BoardOptions {
            var recorded = options
            recorded.board = board
            recorded.simulation.instrument = instrument
            recorded.simulation.calibration = calibration
            if let seed { recorded.simulation.seed = seed }
            return recorded
        }

        func plan(for instrument: Instrument) throws -> CalibrationPlan {
            do {
                return try CalibrationPlan(instrument: instrument, sampleCells: cells, stateNodes: nodes, stmRepetitions: stmRepetitions,
                                           timeConstantGroups: tauGroups, peripheryTile: peripheryTile, peripheryProbes: peripheryProbes)
            } catch { throw ValidationError("\(error)") }
        }
    }

    /// A calibration run of the store, refused when it is not one.
    private func calibrationRun(_ id: Int64, store: RunStore) throws -> RunRecord {
        let record = try store.run(id)
        guard record.draft.kind == "calibrate" else {
            throw ValidationError("run \(id) is a \(record.draft.kind) run, not a calibrate run")
        }
        return record
    }

    func run() throws {
        progress.activate()
        if let retention {
            // A retention run that cannot be folded in is refused before anything is measured.
            let record = try storeOptions.open().run(retention)
            guard record.draft.kind == "retention" else {
                throw ValidationError("--retention \(retention): run \(retention) is a \(record.draft.kind) run, not a retention run")
            }
        }
        if let refit { return try refitRun(refit) }
        let store = try storeOptions.open()
        var parts = CalibrationParts()
        let id: Int64, outPath: String, plan: CalibrationPlan
        let target: any Board, instrument: Instrument
        if let resume {
            let record = try calibrationRun(resume, store: store)
            guard record.status != .completed else {
                throw ValidationError("run \(resume) has completed; nothing to resume (refit it with `xbar calibrate --refit \(resume)`)")
            }
            let recorded = try Recorded(run: record)
            outPath = out ?? recorded.out
            try Self.checkOutput(outPath)
            (target, instrument) = try recorded.boardOptions(from: board).openBoard()
            plan = try recorded.plan(for: instrument)
            if let saved = try store.calibrationParts(run: resume) { parts = try CalibrationParts(decoding: saved) }
            let (measured, total) = parts.progress(for: plan)
            id = resume
            try store.finishRun(id, status: .running)
            print("run \(id): resuming the calibration with \(measured) of \(total) parts already measured, store \(store.path)")
        } else {
            outPath = out!
            (target, instrument) = try board.openBoard()
            do {
                plan = try CalibrationPlan(instrument: instrument, sampleCells: cells, stateNodes: nodes,
                                           stmRepetitions: stmRepetitions, timeConstantGroups: tauGroups,
                                           peripheryTile: peripheryTile, peripheryProbes: peripheryProbes)
            } catch { throw ValidationError("\(error)") }
            printPlan(plan)
            id = try store.startRun(try RunDraft.started(kind: "calibrate", board: target, options: board, instrument: instrument,
                                                         store: store, arguments: [
                                                             "out": outPath, "cells": String(cells), "nodes": nodes.map(String.init) ?? "all",
                                                             "tau_groups": String(plan.timeConstantGroups), "stm_repetitions": String(stmRepetitions),
                                                             "periphery_tile": plan.periphery.map { String($0.tile) } ?? "none",
                                                             "periphery_probes": plan.periphery.map { String($0.probeVectors) } ?? "0",
                                                             "seed": String(board.simulation.seed)], labels: labels))
            print("run \(id): calibrating, store \(store.path)")
        }
        let calibrator = Calibrator(instrument: instrument, plan: plan)
        let started = Date()
        let display = progress.display()
        var shownStage: Calibrator.Stage?
        let interruption = Interruption()
        defer { interruption.stop() }
        do {
            let (measured, measurements) = try calibrator.calibrate(
                on: target, recorder: StoreCalibrationRecorder(store: store, runID: id), runID: String(id), resuming: parts,
                partMeasured: { try store.saveCalibrationParts(run: id, content: try $0.encoded()) },
                shouldStop: { interruption.isRequested }
            ) { stage, done, total in
                if stage == .fitting && shownStage != .fitting {
                    // Everything measured is saved: a signal now abandons the fit at once.
                    interruption.abandonAtOnce { [store, id] in
                        try? store.finishRun(id, status: .interrupted, message: "stopped while fitting; every measurement is kept")
                        FileHandle.standardError.write(Data("\nrun \(id) interrupted while fitting; what it measured is kept; resume it with:\n  xbar calibrate --resume \(id) --store \(store.path)\n".utf8))
                    }
                }
                if stage != shownStage {
                    shownStage = stage
                    display.begin(stage.rawValue, total: total, unit: Self.unit(of: stage))
                }
                display.update(done: done)
            }
            display.end()
            let file = try retention.map { try measured.foldingRetention(run: $0, store: store) } ?? measured
            try file.save(path: outPath)
            let calibrationID = try store.registerCalibrationFile(path: outPath, runID: id)
            if let tracesCSV {
                try measurements.stmTraces.csv().write(toFile: tracesCSV, atomically: true, encoding: .utf8)
            }
            try store.finishRun(id, status: .completed)
            print(CalibrationReport(file: file).text)
            print("calibrated in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; wrote \(outPath), "
                  + "registered as calibration \(calibrationID) of run \(id)")
            Self.emitSummary(file, run: id, out: outPath, calibrationID: calibrationID, seconds: Date().timeIntervalSince(started))
        } catch is JobInterrupted {
            display.abandon()
            try store.finishRun(id, status: .interrupted, message: "stopped by \(interruption.signalName) between two measurement parts")
            FileHandle.standardError.write(Data("run \(id) interrupted; what it measured is kept; resume it with:\n  xbar calibrate --resume \(id) --store \(store.path)\n".utf8))
            throw ExitStatus.interrupted
        } catch {
            display.abandon()
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw error
        }
    }

    /// Fits a calibration run's stored measurements again and writes the file.
    private func refitRun(_ id: Int64) throws {
        let store = try storeOptions.open()
        let record = try calibrationRun(id, store: store)
        let recorded = try Recorded(run: record)
        let outPath = out ?? recorded.out
        try Self.checkOutput(outPath)
        let instrument = try recorded.boardOptions(from: board).simulation.loadInstrument()
        let plan = try recorded.plan(for: instrument)
        guard let saved = try store.calibrationParts(run: id) else {
            throw ValidationError("run \(id) stored no measurement parts to refit (it was made before calibrations saved them, or measured nothing)")
        }
        let parts = try CalibrationParts(decoding: saved)
        guard let measurements = parts.measurements(for: plan) else {
            let (measured, total) = parts.progress(for: plan)
            throw ValidationError("run \(id) measured \(measured) of \(total) parts; finish it first with `xbar calibrate --resume \(id) --store \(store.path)`")
        }
        let fitted = try Calibrator(instrument: instrument, plan: plan).fit(measurements, backend: parts.backend ?? record.draft.backend,
                                                                                   runID: String(id))
        let file = try retention.map { try fitted.foldingRetention(run: $0, store: store) } ?? fitted
        try file.save(path: outPath)
        let calibrationID = try store.registerCalibrationFile(path: outPath, runID: id)
        print(CalibrationReport(file: file).text)
        print("refitted the stored measurements of run \(id); wrote \(outPath), registered as calibration \(calibrationID)")
        Self.emitSummary(file, run: id, out: outPath, calibrationID: calibrationID, seconds: nil)
    }

    private func printPlan(_ plan: CalibrationPlan) {
        if let nv = plan.nonVolatile {
            print("plan: \(nv.cells.values.reduce(0) { $0 + $1.count }) cells on tiles \(nv.cells.keys.sorted().map(String.init).joined(separator: ",")), "
                  + "\(nv.setConditions.count) SET and \(nv.resetConditions.count) RESET conditions x \(nv.pulsesPerCurve) pulses, "
                  + "\(nv.preparePulses) preparation pulses before each, \(nv.noiseReads) noise reads")
        }
        for part in plan.shortTermMemory {
            let s = part.sweep
            print("plan: \(s.nodes.count) STM nodes\(part.deviceClass.map { " of device class \($0)" } ?? "") on tile \(s.tile), "
                  + "\(s.points.count) sweep points x \(s.repetitions) repetitions, "
                  + "\(s.readCount) reads every \(format(s.intervalSeconds)) s, settle \(format(s.settleSeconds)) s")
        }
        if let p = plan.periphery {
            print("plan: array periphery on tile \(p.tile) (every cell overwritten, \(p.patterns.count) patterns of cells at their bounds), "
                  + "reads at \(p.readVoltages.map { format($0) }.joined(separator: ", ")) V, "
                  + "\(p.probeVectors) MVM probes per pattern, one in \(p.heldOutEvery) held out")
        }
    }

    /// What a stage's progress counts.
    private static func unit(of stage: Calibrator.Stage) -> String {
        switch stage {
        case .nonVolatileCurves: return "conditions"
        case .stmTraces: return "sweep points"
        case .periphery, .fitting: return "steps"
        }
    }

    /// The `--json` summary of a calibration: where it went and how well its fits predict held-out data.
    static func emitSummary(_ file: CalibrationFile, run: Int64, out: String, calibrationID: Int64, seconds: Double?) {
        JSONLines.emit("summary", [
            "run": run, "status": "completed", "out": out, "calibration": calibrationID, "seconds": seconds ?? NSNull(),
            "cells": file.cells.count, "nodes": file.nodes.count, "timeConstantGroups": file.timeConstantGroups.count,
            "heldOutNonVolatileRelativeRMS": file.heldOut.nonVolatileRelativeRMS ?? NSNull(),
            "heldOutSTMRelativeRMS": file.heldOut.stmRelativeRMS ?? NSNull(), "notMeasured": file.notMeasured,
        ])
    }
}

func format(_ x: Double) -> String { String(format: "%.4g", x) }
