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

            --tolerance is absolute (siemens, e.g. 1e-6) or a percentage of the nominal range \
            (mean Gmax - mean Gmin, e.g. 1%). Every operation is logged in the run store before it \
            is sent and after it completes; a killed run continues with --resume RUN, repeating no \
            pulse. Each cell ends converged, stuck or out of pulses; the verified conductances are \
            saved as the run's shadow map (`xbar runs export RUN --format npy --out map.npy`).

            Examples:
              xbar program --board sim --instrument usb-4x64 --target weights.npy --tile 0
              xbar program --board sim --instrument usb-4x64 --target array.csv --tolerance 1% --algorithm ispp
              xbar program --resume 12
            """)

    @OptionGroup var boardOptions: BoardOptions
    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Target conductance map, siemens: .npy or .csv (one tile, or all weight tiles stacked vertically).")
    var target: String?

    @Option(help: "Tile a tile-sized target map is for.")
    var tile: Int?

    @Option(help: "Tolerance: siemens (1e-6) or percent of the nominal range (1%).")
    var tolerance = "1%"

    @Option(help: "Write-verify algorithm: ispp (fixed-step baseline) or adaptive.")
    var algorithm: ProgrammingAlgorithmKind = .adaptive

    @Option(help: "Pulse budget per cell.")
    var maxPulses = 100

    @Option(help: "Bias scheme: grounded, half (V/2) or third (V/3). Default: the instrument's.")
    var biasScheme: BiasSchemeArgument?

    @Option(help: "Verify read voltage, volts. Default: the highest that keeps the ADC in range.")
    var readVolts: Double?

    @Option(help: "Wait before the final re-verify, seconds (relaxation); 0 for none.")
    var settleSeconds: Double = 0

    @Option(help: "Continue the run with this id (its targets and options are taken from the store).")
    var resume: Int64?

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
        try Self.checkNumbers(maxPulses: maxPulses, settleSeconds: settleSeconds)
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
        return ResumedRun(id: id, store: store, arguments: arguments, journal: try store.journal(run: id))
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
        return Arguments(board: boardOptions.board, seed: simulation.seed, instrument: try simulation.requireInstrument(),
                         calibration: simulation.calibration, target: target, tile: tile, tolerance: tolerance,
                         algorithm: algorithm, maxPulses: maxPulses, biasScheme: biasScheme?.rawValue ?? "",
                         readVolts: readVolts, settleSeconds: settleSeconds)
    }

    func run() throws {
        let resumed = try resume.map(resumedRun)
        var args = try resumed?.arguments ?? newRunArguments()
        // A resumed run reaches the board it started on, whatever this command line says.
        let options = args.boardOptions(from: boardOptions)
        let instrument = try options.simulation.loadInstrument()
        let device = (try options.simulation.deviceParameters(for: instrument) ?? instrument.device).nonVolatile
        let range = ProgrammableRange(device: device)
        let tol = try Tolerance(parsing: args.tolerance)
        let scheme = try Self.scheme(recorded: args.biasScheme, instrument: instrument)
        args.biasScheme = BiasSchemeArgument(scheme).rawValue
        try Self.checkNumbers(maxPulses: args.maxPulses, settleSeconds: args.settleSeconds)
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
        let settle: (Double) throws -> Void = { seconds in
            if let sim = board as? SimulatedBoard { sim.advanceTime(seconds: seconds) } else { Thread.sleep(forTimeInterval: seconds) }
        }

        let id: Int64
        let journal = resumed?.journal ?? []
        if let resumed {
            id = resumed.id
            if board is SimulatedBoard {
                // The simulated board died with the killed process: rebuild its state exactly.
                try ProgrammingJob.replay(journal, onto: board, settle: settle)
                print("run \(id): resuming on a fresh simulated board (seed \(args.seed)) after replaying \(journal.filter { $0.state == .done }.count) completed operations")
            } else {
                print("run \(id): resuming after \(journal.count) logged operations")
            }
            try store.finishRun(id, status: .running)
        } else {
            let json = String(decoding: try JSONEncoder().encode(args), as: UTF8.self)
            id = try store.startRun(try RunDraft.started(kind: "program", board: board, identity: identity, options: options,
                                                         instrument: instrument, store: store, argumentsJSON: json))
            for (info, siemens) in targets.tiles {
                try store.saveTargets(run: id, tile: Int(info.index), rows: Int(info.rows), columns: Int(info.columns), siemens: siemens)
            }
            print("run \(id): programming \(targets.tiles.count) tile(s) with \(args.algorithm.rawValue), store \(store.path)")
        }

        let settings = {
            var s = ProgrammingSettings.standard(
                tolerance: tol, scheme: scheme, device: device, limits: instrument.limits,
                adcFullScaleAmperes: Double(identity.adc.readFullScaleAmperes),
                maxPayloadBytes: Int(identity.maxPayloadBytes), readVolts: args.readVolts)
            s.maxPulses = args.maxPulses
            s.settleSeconds = args.settleSeconds
            return s
        }()
        let runner = OperationRunner(board: board, journal: StoreJournal(store: store, runID: id), settle: settle)
        let job = ProgrammingJob(targets: targets, algorithm: args.algorithm, settings: settings, device: device,
                                 envelope: PulseEnvelope(limits: instrument.limits), runner: runner, store: store, runID: id)
        let reports: [TileReport]
        do {
            reports = try job.run(resuming: journal)
        } catch {
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw ValidationError("run \(id) stopped: \(error)\nresume it with: xbar program --resume \(id) --store \(store.path)")
        }
        try store.finishRun(id, status: .completed)
        if let status = try? board.status() {
            print("board reports \(status.pulsesApplied) cell-pulses applied since power-up")
        }
        print(String(format: "tolerance %.3g S, verify reads at %.2f V averaged %d times", settings.toleranceSiemens,
                     settings.readVolts, settings.verifyAverages))
        for r in reports {
            let total = r.pulses.reduce(0, +)
            print("tile \(r.tile): \(r.count(.converged)) converged, \(r.count(.stuck)) stuck, \(r.count(.outOfPulses)) out of pulses; "
                  + String(format: "%.2f pulses per cell, %d round trips", Double(total) / Double(max(r.pulses.count, 1)), r.roundTrips))
        }
        print("run \(id) completed; shadow map: xbar runs export \(id) --format npy --out shadow.npy --store \(store.path)")
    }
}

extension ProgrammingAlgorithmKind: ExpressibleByArgument {}
