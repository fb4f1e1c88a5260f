import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// `xbar program`: write-verify a conductance map into the non-volatile cells.
struct ProgramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "program",
        abstract: "Write-verify a conductance map (siemens) into a tile or the whole array, with a per-cell record.",
        discussion: """
            The target is a .npy (2-D float64 or float32, C order) or .csv (comma-separated, one \
            line per row) map of conductances in siemens: either one tile (e.g. 64x64, with \
            --tile N) or every weight tile stacked vertically in tile order (256x64 for the \
            usb-4x64 board: tile 0 in rows 0-63, tile 1 in rows 64-127, ...). Targets must lie in \
            the programmable range: the instrument's mean Gmin and Gmax, each moved inward by \
            three device-to-device spreads (so a cell's own bounds almost never exclude a target). \
            NaN, out-of-range values and wrong shapes are refused naming the cell.

            --tolerance is absolute (siemens, e.g. 1e-6 or 0.5uS) or a percentage of the nominal \
            range (mean Gmax - mean Gmin, e.g. 1%); one wider than a tenth of the programmable range \
            is refused (a bare 1 would mean one siemens). Every operation is logged in the run store \
            before it is sent and after it completes, with the wire sequence number and the board \
            session it went to; a killed run continues with --resume RUN, repeating no pulse: an \
            operation left without a result is sent again under its own sequence number, so the \
            board's reply cache answers it if it ran. If the board restarted in between (another \
            session), what the records claim is read back first and lost cells are programmed \
            again. The board's pulse counter is compared with the ledger when a run resumes and \
            when it ends; a difference stops the run with both numbers. --resume RUN --board ADDR \
            continues on a board that moved to another address, if IDENTIFY reports the same \
            serial number. Each cell ends converged, stuck or out of pulses; the verified \
            conductances are saved as the run's shadow map \
            (`xbar runs export RUN --format npy --out map.npy`). With --min-yield the command \
            exits with status 3 when fewer cells converged.

            Cells keep relaxing while the rest of the array is programmed, so the run ends with \
            relaxation passes spaced a decade apart in log time (--relaxation-passes, 2 by \
            default on a device that relaxes; 0 for none): each waits on the board's clock (the \
            last --relaxation-wait, 10 s by default), then reads every tile of the run and only \
            then touches up the cells further from target than 0.6 of the tolerance (0.45 in \
            the last pass of several tiles, --touch-up-accept: the cells touched up last are the \
            youngest and relax while the other tiles are touched up and read back). Then every \
            tile is read back once more, \
            averaged like a verify read, and the read-back yield (cells within tolerance among \
            those not found stuck) is printed and recorded with the run: that read judges nothing \
            in the run, as a lab judges write-verify (--no-read-back leaves it out).

            Progress goes to standard error (a live bar per tile on a terminal, one line per tile \
            otherwise; -q for none). Ctrl-C or SIGTERM stops the run after the operation in \
            flight, marks it interrupted, prints the command that resumes it and exits with 130.

            Examples:
              xbar program --board sim --instrument usb-4x64 --target weights.npy --tile 0
              xbar program --board sim --instrument usb-4x64 --target array.csv --tolerance 1% --algorithm ispp
              xbar program --resume 12
              xbar program --resume 12 --board serial:/dev/ttyUSB1
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var labels: RunLabelOptions

    @Option(help: "Target conductance map, siemens: .npy or .csv (one tile, or all weight tiles stacked vertically).")
    var target: String?

    @Option(help: "Tile a tile-sized target map is for.")
    var tile: Int?

    @Option(parsing: .unconditional, help: "Tolerance: siemens (1e-6, 0.5uS) or percent of the nominal range (1%), at most a tenth of the programmable range.")
    var tolerance = "1%"

    @Option(help: "Least share of cells that must converge, percent (e.g. 99%); below it the command exits with status 3.")
    var minYield: String?

    @Option(help: "Write-verify algorithm: adaptive (per-cell amplitude and width from the device model), or a baseline: ispp (amplitude ramp), width-ramp (width doubling at one amplitude) or fixed (identical pulses).")
    var algorithm: ProgrammingAlgorithmKind = .adaptive

    @Option(help: "Pulse budget per cell.")
    var maxPulses = 100

    @Option(help: "Bias scheme: grounded, half (V/2) or third (V/3). Default: the instrument's.")
    var biasScheme: BiasSchemeArgument?

    @Option(help: "Verify read voltage, volts (0.2, 200mV). Default: the highest that keeps the ADC in range.",
            transform: QuantityArgument.volts)
    var readVolts: Double?

    @Option(help: "Wait before the final re-verify, seconds (relaxation; 30, 500ms); 0 for none. Default: 0.",
            transform: QuantityArgument.seconds)
    var settleSeconds: Double = 0

    @Option(help: "Re-verify passes at the end, a decade apart in log time, touching up cells that relaxed out (0: none). Default: 2 when the device model relaxes.")
    var relaxationPasses: Int?

    @Option(help: "Wait before the last relaxation pass, seconds of board time (10, 500ms); earlier passes wait a tenth each.",
            transform: QuantityArgument.seconds)
    var relaxationWait: Double = 10

    @Option(help: ArgumentHelp("How near the target the last relaxation pass of several tiles brings the cells it touches up, as a fraction of the tolerance (0.05 to 1; 0.45 by default).",
                               discussion: "Those cells are the youngest when the run is judged, and relax while the other tiles are touched up and read back. On four 64x64 tiles of the default device at 1 %, 0.45 raises the read-back yield from about 98.8 % (0.6, the verify rounds' band) to 99.5 % for about 4 % more pulses per cell; the few cells still outside after four rounds are accepted at 0.6. Earlier passes, and a single tile (read back before its touch-ups start to relax), accept at 0.6."))
    var touchUpAccept: Double?

    @Flag(help: ArgumentHelp("Verify in the board's sense ranges: each batch's cells are verified in bands by target, each band in the smallest range that holds it and averaged only as much as its top needs.",
                             discussion: "Needs a board whose IDENTIFY lists sense ranges. On a board whose PULSE_BATCH verifies in ranges (capability ranged_verify) the batch verifies its own cells, band by band, in the same round trip; on others its pulses go out without a verify read and its cells are read after it, a READ per band. The full-tile verify reads are banded the same way; the read-back is read as without it (README, write-verify)."))
    var verifyInRanges = false

    @Flag(inversion: .prefixedNo, help: "With --verify-in-ranges on a board with ranged PULSE_BATCH verify: verify each batch in its own round trip (--no-verify-in-batch: a READ per band after the batch, as on boards without it).")
    var verifyInBatch = true

    @Flag(inversion: .prefixedNo, help: "Read the tiles back after the run and print and record the read-back yield.")
    var readBack = true

    @Option(help: "Continue the run with this id (its targets and options are taken from the store).")
    var resume: Int64?

    @Flag(help: "Program cells that xbar form left unformed (failed or over-formed) too, instead of refusing; they end stuck or out of pulses in the record.")
    var allowUnformed = false

    @OptionGroup var progress: ProgressOptions

    /// What a run records to be resumable.
    struct Arguments: Codable {
        var board: String
        var seed: UInt64
        var instrument: String
        var calibration: String?
        var target: String
        var tile: Int?
        var tolerance: String
        var algorithm: ProgrammingAlgorithmKind
        var maxPulses: Int
        var biasScheme: String
        var readVolts: Double?
        var settleSeconds: Double
        /// Least converged share, percent; nil asks for none. Optional so runs recorded before it existed resume.
        var minYieldPercent: Double?
        /// Relaxation passes and the wait before the last, seconds; nil in runs recorded before
        /// they existed, which resume without them, as they started.
        var relaxationPasses: Int?
        var relaxationWaitSeconds: Double?
        /// Whether the run ends with a read-back; nil (older runs) for none.
        var readBack: Bool?
        /// The touch-ups' accept fraction in the relaxation passes; nil for the verify rounds' own.
        var touchUpAccept: Double?
        /// Whether verify reads are taken in the board's sense ranges; nil (older runs) for not.
        var verifyInRanges: Bool?
        /// With ranges, whether a batch verifies its own cells when the board can; nil (older
        /// runs) for yes.
        var verifyInBatch: Bool?

        /// `options` reaching the board, instrument, calibration and seed recorded here.
        func boardOptions(from options: BoardOptions) -> BoardOptions {
            var recorded = options
            recorded.board = board
            recorded.simulation.instrument = instrument
            recorded.simulation.calibration = calibration
            recorded.simulation.seed = seed
            return recorded
        }
    }

    func validate() throws {
        if resume != nil && target != nil {
            throw ValidationError("--resume continues a run with its own targets; leave out --target")
        }
        if resume == nil {
            // A new run needs --target and --instrument; a resumed one takes both from the store.
            _ = try newRunArguments()
        }
        do { _ = try Tolerance(parsing: tolerance) } catch { throw ValidationError("\(error)") }
        _ = try Self.minYieldPercent(minYield)
        try Self.checkNumbers(maxPulses: maxPulses, settleSeconds: settleSeconds)
        try Self.checkRelaxation(passes: relaxationPasses, waitSeconds: relaxationWait)
        try Self.checkTouchUp(touchUpAccept)
    }

    /// The board's sense ranges for verify reads.
    ///
    /// - Throws: `ValidationError` naming the board when its IDENTIFY lists none.
    static func verifyRanges(_ identity: BoardIdentity) throws -> VerifyRanges {
        do { return try VerifyRanges(board: identity) } catch { throw ValidationError("--verify-in-ranges: \(error)") }
    }

    /// A band narrower than a twentieth of the tolerance is below what verify reads resolve; one
    /// wider than the tolerance would accept cells outside it.
    static func checkTouchUp(_ fraction: Double?) throws {
        guard let fraction else { return }
        guard fraction.isFinite, fraction >= 0.05, fraction <= 1 else {
            throw ValidationError("--touch-up-accept \(fraction): expected a fraction of the tolerance from 0.05 to 1, e.g. 0.45")
        }
    }

    /// At most six passes: they are a decade apart, so a sixth waits a hundred-thousandth of the last.
    static func checkRelaxation(passes: Int?, waitSeconds: Double?) throws {
        if let passes { try OptionCheck.require(passes, "--relaxation-passes", in: 0...6) }
        if let waitSeconds { try OptionCheck.requireWait(waitSeconds, "--relaxation-wait", positive: true) }
    }

    /// The numeric options a run carries, checked alike for a new run and for the arguments a
    /// resumed run recorded (a store written by an older build may hold values refused now).
    static func checkNumbers(maxPulses: Int, settleSeconds: Double) throws {
        try OptionCheck.require(maxPulses, "--max-pulses", in: 1...Int(Int32.max))
        try OptionCheck.requireWait(settleSeconds, "--settle-seconds")
    }

    /// A run continued with `--resume`: what it recorded when it started, and what it logged since.
    private struct ResumedRun {
        var id: Int64
        var store: RunStore
        var record: RunRecord
        var arguments: Arguments
        var journal: [JournalEntry]
    }

    private func resumedRun(_ id: Int64) throws -> ResumedRun {
        let store = try storeOptions.open()
        let record = try store.run(id)
        guard record.draft.kind == "program" else {
            throw ValidationError("run \(id) is a \(record.draft.kind) run, not a program run")
        }
        guard record.status != .completed else {
            throw ValidationError("run \(id) has completed; nothing to resume (see `xbar runs show \(id)`)")
        }
        let arguments = try JSONDecoder().decode(Arguments.self, from: Data(record.draft.argumentsJSON.utf8))
        return ResumedRun(id: id, store: store, record: record, arguments: arguments, journal: try store.journal(run: id))
    }

    /// The bias scheme a run's arguments name: empty for the instrument's default. A name this
    /// build does not know (a store written by another build, or edited) is refused, never
    /// replaced by a default on its way to the board.
    static func scheme(recorded: String, instrument: Instrument) throws -> BiasScheme {
        if recorded.isEmpty { return instrument.defaultBiasScheme }
        guard let argument = BiasSchemeArgument(rawValue: recorded) else {
            throw ValidationError("bias scheme \"\(recorded)\" in the run's arguments is not one of \(BiasSchemeArgument.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return argument.scheme
    }

    private func newRunArguments() throws -> Arguments {
        guard let target else { throw ValidationError("give --target FILE (a .npy or .csv map in siemens), or --resume RUN") }
        let simulation = boardOptions.simulation
        return Arguments(board: boardOptions.address, seed: simulation.seed, instrument: try simulation.requireInstrument(),
                         calibration: simulation.calibration, target: target, tile: tile, tolerance: tolerance,
                         algorithm: algorithm, maxPulses: maxPulses, biasScheme: biasScheme?.rawValue ?? "",
                         readVolts: readVolts, settleSeconds: settleSeconds, minYieldPercent: try Self.minYieldPercent(minYield),
                         relaxationPasses: relaxationPasses, relaxationWaitSeconds: relaxationWait, readBack: readBack,
                         touchUpAccept: touchUpAccept, verifyInRanges: verifyInRanges, verifyInBatch: verifyInBatch)
    }

    /// `--min-yield` as a percentage: `99%` or `99`, from 0 to 100.
    static func minYieldPercent(_ text: String?) throws -> Double? {
        guard let text else { return nil }
        let number = text.hasSuffix("%") ? String(text.dropLast()) : text
        guard let p = Double(number), p >= 0, p <= 100 else {
            throw ValidationError("--min-yield \(text): expected a percentage from 0% to 100% of the cells, e.g. 99%")
        }
        return p
    }

    func run() throws {
        progress.activate()
        let resumed = try resume.map(resumedRun)
        var args = try resumed?.arguments ?? newRunArguments()
        // A resumed run reaches the board it started on, unless --board says where that board
        // is now (IDENTIFY must then report the serial number the run recorded).
        let moved = resumed != nil ? boardOptions.board.flatMap { $0 == args.board ? nil : $0 } : nil
        if let moved { args.board = moved }
        let options = args.boardOptions(from: boardOptions)
        let rebuildsBoard = try BoardAddress(parsing: options.address) == .simulated
        let instrument = try options.simulation.loadInstrument()
        let device = (try options.simulation.deviceParameters(for: instrument) ?? instrument.device).nonVolatile
        let range = ProgrammableRange(device: device)
        let tol = try Tolerance(parsing: args.tolerance)
        // Refused before the store or the board is touched: a bare 1 would "converge" every cell at once.
        do { _ = try tol.checkedSiemens(in: range, typed: args.tolerance) } catch { throw ValidationError("\(error)") }
        let scheme = try Self.scheme(recorded: args.biasScheme, instrument: instrument)
        args.biasScheme = BiasSchemeArgument(scheme).rawValue
        try Self.checkNumbers(maxPulses: args.maxPulses, settleSeconds: args.settleSeconds)
        try Self.checkRelaxation(passes: args.relaxationPasses, waitSeconds: args.relaxationWaitSeconds)
        try Self.checkTouchUp(args.touchUpAccept)
        if resumed == nil {
            // Recorded as decided, so that the run resumes with the passes it started with.
            args.relaxationPasses = args.relaxationPasses ?? ProgrammingSettings.standardRelaxationPasses(device: device)
        }
        if let volts = args.readVolts {
            try OptionCheck.requireRead(volts: volts, "--read-volts", limits: instrument.limits, instrument: instrument.name)
        }

        let targets: ProgrammingTargets
        if let resumed {
            let stored = try resumed.store.targets(run: resumed.id)
            targets = ProgrammingTargets(tiles: try stored.keys.sorted().map { t in
                guard let index = UInt8(exactly: t), let info = instrument.tile(index), let map = stored[t] else {
                    throw ValidationError("run \(resumed.id): its stored targets name tile \(t), which instrument \(instrument.name) does not have")
                }
                return (info, map.siemens)
            })
        } else {
            let map = try ConductanceMap.load(path: args.target)
            targets = try ProgrammingTargets(map: map, path: args.target, instrument: instrument, tile: args.tile, range: range)
        }

        // Opened once the arguments are known good, so a refused command leaves no new store behind.
        let store = try resumed?.store ?? storeOptions.open()
        let board = try options.openBoard().board
        let identity = try board.identify()
        // Refused before the run is recorded: the board cannot read in ranges it does not have.
        var verifyRanges = try args.verifyInRanges == true ? Self.verifyRanges(identity) : nil
        if args.verifyInBatch == false { verifyRanges?.inBatch = false }
        if let resumed, let serial = resumed.record.draft.boardSerial, serial != identity.serialNumber {
            throw ValidationError("run \(resumed.id) ran on board \(resumed.record.draft.boardModel ?? "?") serial \(serial); "
                                  + "\(board.backendDescription) reports \(identity.model) serial \(identity.serialNumber): not resuming on another chip")
        }
        // Waits are timed by the board's clock, never by a host sleep.
        let waitTile = Int(targets.tiles.first?.tile.index ?? 0)
        let settle: (Double) throws -> Void = { try OperationRunner.wait(seconds: $0, tile: waitTile, on: board) }

        let id: Int64
        var journal = resumed?.journal ?? []
        var boardRestarted = false
        if let resumed {
            id = resumed.id
            if rebuildsBoard {
                // The simulated board died with the killed process: rebuild its state exactly.
                let display = progress.display()
                display.begin("replaying the journal", total: journal.filter { $0.state == .done }.count, unit: "operations")
                do {
                    try ProgrammingJob.replay(journal, onto: board, settle: settle) { done, _ in display.update(done: done) }
                    display.end()
                } catch {
                    display.abandon()
                    throw error
                }
                print("run \(id): resuming on a fresh simulated board (seed \(args.seed)) after replaying \(journal.filter { $0.state == .done }.count) completed operations")
            } else {
                print("run \(id): resuming after \(journal.count) logged operations")
            }
            if let moved {
                try store.updateBackend(id, backend: board.backendDescription)
                try store.updateArguments(id, json: String(decoding: try JSONEncoder().encode(args), as: UTF8.self))
                print("run \(id): the board (serial \(identity.serialNumber)) is now at \(moved)")
            }
            try store.finishRun(id, status: .running)
            let reconciler = RunReconciler(store: store, runID: id, board: board, identity: identity)
            do {
                let found = try reconciler.resume(journal: journal, boardRebuilt: rebuildsBoard)
                for note in found.notes { print("run \(id): \(note)") }
                boardRestarted = found.boardRestarted
            } catch {
                try? store.finishRun(id, status: .failed, message: "\(error)")
                throw ValidationError("run \(id) stopped: \(error)")
            }
            journal = try store.journal(run: id)
        } else {
            // A fresh in-process simulated chip (`--board sim`) is made for this command: the
            // store's forming results, of other chips that share its serial number, are not its
            // own, and a pristine one has no formed cell at all.
            if try BoardAddress(parsing: options.address) == .simulated {
                if options.simulation.pristine && !allowUnformed {
                    throw ValidationError("--pristine with --board sim: a fresh pristine chip has no formed cell to program; keep a chip with --board sim:FILE --pristine and run xbar form on it first")
                }
            } else if !allowUnformed {
                try Self.refuseUnformed(targets: targets, store: store, identity: identity)
            }
            let json = String(decoding: try JSONEncoder().encode(args), as: UTF8.self)
            id = try store.startRun(try RunDraft.started(kind: "program", board: board, identity: identity, options: options,
                                                         instrument: instrument, store: store, argumentsJSON: json, labels: labels))
            for (info, siemens) in targets.tiles {
                try store.saveTargets(run: id, tile: Int(info.index), rows: Int(info.rows), columns: Int(info.columns), siemens: siemens)
            }
            try RunReconciler(store: store, runID: id, board: board, identity: identity).begin()
            print("run \(id): programming \(targets.tiles.count) tile(s) with \(args.algorithm.rawValue), store \(store.path)")
        }

        // On a passive array, the calibration's sneak paths come off every verify read, and the
        // verify voltage leaves room for them (unless --read-volts sets it); under the
        // instrument's own bias scheme, the one the calibration measured them in.
        let sneak = scheme != instrument.defaultBiasScheme ? nil : try options.simulation.peripheryParameters(for: instrument)
            .flatMap { ProgrammingSettings.sneakCorrection(for: instrument, periphery: $0) }
        if verifyRanges != nil, sneak != nil {
            throw ValidationError("--verify-in-ranges: the verify reads of \(instrument.name) are corrected for sneak currents, which a saturated ranged read leaves unknown")
        }
        let settings = {
            var s = ProgrammingSettings.standard(
                tolerance: tol, scheme: scheme, device: device, limits: instrument.limits,
                adcFullScaleAmperes: Double(identity.adc.readFullScaleAmperes),
                maxPayloadBytes: Int(identity.maxPayloadBytes),
                readVolts: args.readVolts ?? sneak.map {
                    ProgrammingSettings.verifyReadVolts(adcFullScaleAmperes: Double(identity.adc.readFullScaleAmperes),
                                                        maxReadVolts: Double(instrument.limits.maxReadVolts), range: range,
                                                        sneakRatio: $0.ratio, rows: $0.rows)
                })
            s.sneakCorrection = sneak
            s.maxPulses = args.maxPulses
            s.settleSeconds = args.settleSeconds
            s.relaxationPasses = args.relaxationPasses ?? 0
            s.relaxationWaitSeconds = args.relaxationWaitSeconds ?? s.relaxationWaitSeconds
            s.readBack = args.readBack ?? false
            if let fraction = args.touchUpAccept { s.touchUpAcceptFraction = fraction }
            s.verifyRanges = verifyRanges
            return s
        }()
        let runner = OperationRunner(board: board, journal: StoreJournal(store: store, runID: id))
        let job = ProgrammingJob(targets: targets, algorithm: args.algorithm, settings: settings, device: device,
                                 envelope: PulseEnvelope(limits: instrument.limits), runner: runner, store: store, runID: id)
        job.onCellsLost = { tile, count in
            print("run \(id): tile \(tile): \(count) cells the records called converged read back outside the tolerance after the board restart; programmed again")
        }
        let display = progress.display()
        var shownTile: Int?
        job.onProgress = { tile, settled, cellCount in
            if tile != shownTile {
                shownTile = tile
                display.begin("tile \(tile)", total: cellCount, unit: "cells")
            }
            display.update(done: settled)
        }
        var shownStage: String?
        job.onStage = { name, done, tiles in
            if name != shownStage {
                shownStage = name
                shownTile = nil
                display.begin(name, total: tiles, unit: "tiles")
            }
            display.update(done: done)
        }
        let interruption = Interruption()
        defer { interruption.stop() }
        job.shouldStop = { interruption.isRequested }
        let resumeCommand = "xbar program --resume \(id) --store \(store.path)"
        let reports: [TileReport]
        do {
            reports = try job.run(resuming: journal, boardRestarted: boardRestarted)
            try RunReconciler(store: store, runID: id, board: board, identity: identity).check(when: "at the end of the run")
            display.end()
        } catch is JobInterrupted {
            display.abandon()
            try store.finishRun(id, status: .interrupted, message: "stopped by \(interruption.signalName) between two operations")
            FileHandle.standardError.write(Data("run \(id) interrupted; resume it with:\n  \(resumeCommand)\n".utf8))
            throw ExitStatus.interrupted
        } catch {
            display.abandon()
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw RunStopped(description: "run \(id) stopped: \(error)\nresume it with: \(resumeCommand)")
        }
        let readBack = Self.readBackYield(reports)
        try store.finishRun(id, status: .completed, message: readBack.map {
            String(format: "read-back yield %.2f %% (%d of %d cells not found stuck within %.3g S)",
                   100 * Double($0.within) / Double(max($0.cells, 1)), $0.within, $0.cells, settings.toleranceSiemens)
        })
        let status = try board.sessionStatus(identity)
        print("board reports \(status.pulsesApplied) cell-pulses applied since power-up")
        if let session = try store.boardSessions(run: id).last {
            let applied = try store.appliedPulses(run: id)
            print("pulse counter and ledger agree: board +\(Int64(bitPattern: status.pulsesApplied &- session.counterStart)), ledger +\(applied - session.ledgerStart) "
                  + "cell-pulses in board session \(session.session.map(BoardSessionRecord.text) ?? "(none)"); ledger total \(applied) applied")
        }
        if let ranges = settings.verifyRanges {
            print(String(format: "tolerance %.3g S, verify reads at %.2f V in the board's sense ranges, %d bands by target averaged up to %d times, ",
                         settings.toleranceSiemens, settings.readVolts, ranges.bands, settings.verifyAverages)
                  + (ranges.inBatch ? "in each batch's own verify" : "a READ per band after each batch"))
        } else {
            print(String(format: "tolerance %.3g S, verify reads at %.2f V averaged %d times", settings.toleranceSiemens,
                         settings.readVolts, settings.verifyAverages))
        }
        if settings.relaxationPasses > 0 {
            let waits = (0..<settings.relaxationPasses).map { String(format: "%g s", settings.relaxationWait(pass: $0)) }
            print("relaxation passes: \(settings.relaxationPasses), after waits of \(waits.joined(separator: ", ")) of board time")
        }
        for r in reports {
            let total = r.pulses.reduce(0, +)
            let cells = Double(max(r.pulses.count, 1))
            print("tile \(r.tile): \(r.count(.converged)) converged, \(r.count(.stuck)) stuck, \(r.count(.outOfPulses)) out of pulses; "
                  + String(format: "%.2f pulses per cell, %d round trips, %.0f conversions per cell", Double(total) / cells, r.roundTrips,
                           Double(r.conversions) / cells))
            if settings.relaxationPasses > 0 {
                print(String(format: "tile %d: relaxation passes took %.2f pulses and %.0f conversions per cell", r.tile,
                             Double(r.relaxationPulses) / cells, Double(r.relaxationConversions) / cells))
            }
            var fields: [String: Any] = ["run": id, "tile": r.tile, "cells": r.outcomes.count, "converged": r.count(.converged),
                                         "stuck": r.count(.stuck), "outOfPulses": r.count(.outOfPulses), "pulses": total,
                                         "pulsesPerCell": Double(total) / cells, "roundTrips": r.roundTrips,
                                         "conversions": r.conversions, "relaxationPulses": r.relaxationPulses,
                                         "relaxationConversions": r.relaxationConversions]
            if let y = r.readBackYield {
                print(String(format: "tile %d: read-back %d of %d cells not found stuck within tolerance (%.2f %%)", r.tile,
                             y.within, y.cells, 100 * Double(y.within) / Double(max(y.cells, 1))))
                fields["readBackWithin"] = y.within
                fields["readBackCells"] = y.cells
            }
            JSONLines.emit("tile", fields)
        }
        if let y = readBack {
            print(String(format: "read-back yield %.2f %%: %d of %d cells not found stuck within tolerance, read after the run ended",
                         100 * Double(y.within) / Double(max(y.cells, 1)), y.within, y.cells))
        }
        print("run \(id) completed; shadow map: xbar runs export \(id) --format npy --out shadow.npy --store \(store.path)")
        JSONLines.emit("summary", ["run": id, "status": "completed", "store": store.path, "toleranceSiemens": settings.toleranceSiemens,
                                   "verifyReadVolts": settings.readVolts, "verifyAverages": settings.verifyAverages,
                                   "boardPulsesApplied": Int(status.pulsesApplied), "ledgerPulsesApplied": try store.appliedPulses(run: id),
                                   "readBackWithin": readBack?.within as Any, "readBackCells": readBack?.cells as Any])
        if let wanted = args.minYieldPercent {
            let cells = reports.reduce(0) { $0 + $1.outcomes.count }
            let converged = reports.reduce(0) { $0 + $1.count(.converged) }
            let yield = cells > 0 ? 100 * Double(converged) / Double(cells) : 0
            if yield < wanted {
                FileHandle.standardError.write(Data(String(format: "xbar: yield %.2f%% (%d of %d cells converged) is below --min-yield %g%%\n",
                                                           yield, converged, cells, wanted).utf8))
                throw ExitStatus.yieldBelowMinimum
            }
        }
    }
}

extension ProgramCommand {
    /// The tiles' read-back yields summed: cells within tolerance, cells not found stuck; nil
    /// when no tile was read back.
    static func readBackYield(_ reports: [TileReport]) -> (within: Int, cells: Int)? {
        let yields = reports.compactMap(\.readBackYield)
        guard !yields.isEmpty else { return nil }
        return (yields.reduce(0) { $0 + $1.within }, yields.reduce(0) { $0 + $1.cells })
    }

    /// Refuses targets on cells whose newest forming result on this board (by model and serial
    /// number) is not formed, naming them: a pristine or over-formed cell cannot be programmed.
    static func refuseUnformed(targets: ProgrammingTargets, store: RunStore, identity: BoardIdentity) throws {
        let targeted = Set(targets.tiles.map { Int($0.tile.index) })
        let unformed = try store.unformedCells(boardModel: identity.model, boardSerial: identity.serialNumber)
            .filter { targeted.contains($0.tile) }
        guard !unformed.isEmpty else { return }
        let shown = unformed.prefix(8).map { "tile \($0.tile) cell \($0.row):\($0.column) \($0.outcome)" }.joined(separator: ", ")
        let more = unformed.count > 8 ? " and \(unformed.count - 8) more" : ""
        throw ValidationError("\(unformed.count) targeted cells are not formed on board \(identity.model) serial \(identity.serialNumber) (newest xbar form results in \(store.path)): \(shown)\(more). Form them again with xbar form --cells, or pass --allow-unformed to program them anyway (they will end stuck or out of pulses).")
    }
}

extension ProgrammingAlgorithmKind: ExpressibleByArgument {}
