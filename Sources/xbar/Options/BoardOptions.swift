import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarTransport

/// Which instrument, and what the simulated board runs on: shared by every command that may
/// simulate a board.
///
/// `--instrument` is optional here because `xbar program --resume RUN` takes it from the run.
/// ``requireInstrument()`` is the one place its absence is reported: a command that needs it
/// calls that from its `validate()`, so the message comes with the command's own usage line.
struct SimulationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Board type: a name from instruments/ (e.g. usb-4x64) or a path to an instrument file. Required wherever a board is reached or simulated, except by program --resume, which takes the run's.",
                               valueName: "name|path"))
    var instrument: String?

    @Option(help: ArgumentHelp("Calibration file: its fitted device model (and array periphery, when it measured one) replaces the instrument's defaults in the simulated board and wherever the command plans with the model (e.g. program's adaptive algorithm).",
                               valueName: "path"))
    var calibration: String?

    @Option(help: "Seed of the simulated board's device-to-device and cycle-to-cycle randomness.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Faults of the simulated board's link, both directions: drop=P,corrupt=P (probability per frame), delay=S (seconds per reply), reset-after=N (the board restarts once after N requests), unplug-after=N (the link closes after N requests), seed=N. With --board sim the board is then reached over an in-process link, like a remote one.",
                               valueName: "faults"))
    var faults: String?

    /// The faults `--faults` asks for; nil without it.
    ///
    /// - Throws: `ValidationError` naming the fault and the value that cannot be used.
    func linkFaults() throws -> LinkFaults? {
        guard let faults else { return nil }
        do {
            return try LinkFaults(parsing: faults)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The name or path given with `--instrument`.
    ///
    /// - Throws: `ValidationError` naming `--instrument`, with an example, when it was not given.
    @discardableResult
    func requireInstrument() throws -> String {
        guard let instrument else {
            throw ValidationError("missing --instrument NAME|PATH: the board type, a name from instruments/ (see `xbar instruments`) or a path to an instrument file; e.g. --instrument usb-4x64")
        }
        return instrument
    }

    func loadInstrument() throws -> Instrument {
        try InstrumentCatalog.locate().resolve(try requireInstrument())
    }

    /// The device model: the calibration's when one is given, else the instrument's defaults.
    func deviceParameters(for instrument: Instrument) throws -> DeviceParameters? {
        guard let calibration else { return nil }
        let (parameters, warnings) = try CalibrationFile.deviceParameters(path: calibration, for: instrument)
        for w in warnings { FileHandle.standardError.write(Data("xbar: warning: \(w)\n".utf8)) }
        return parameters
    }

    /// The array periphery of a simulated board: the calibration's when one is given and it
    /// measured the periphery, else the instrument's.
    func peripheryParameters(for instrument: Instrument) throws -> ArrayPeripheryParameters? {
        guard let calibration else { return nil }
        let file = try CalibrationFile.load(path: calibration)
        _ = try file.check(for: instrument, path: calibration)
        return file.periphery?.parameters
    }

    @Flag(help: "Simulated board only: start with a pristine chip, fresh from the fab, every non-volatile cell unformed until `xbar form` forms it (the device model must describe forming). xbar sim with --state: only when the file does not exist yet.")
    var pristine = false

    /// `--pristine`, refused for a device model without forming.
    ///
    /// - Throws: `ValidationError` naming the keys the model lacks.
    func checkedPristine(_ instrument: Instrument) throws -> Bool {
        guard pristine else { return false }
        let model = try deviceParameters(for: instrument) ?? instrument.device
        guard model.nonVolatile.forming != nil else {
            throw ValidationError("--pristine: the device model of \(instrument.name) has no forming parameters (device.non_volatile.forming_volts, pristine_siemens, never_form_rate, over_form_rate)")
        }
        return true
    }

    /// - Throws: `ValidationError` when `pristine` is asked of a device model without forming.
    func makeSimulatedBoard(instrument: Instrument, realTime: Bool = false, pristine: Bool? = nil) throws -> SimulatedBoard {
        let board = SimulatedBoard(instrument: instrument, parameters: try deviceParameters(for: instrument),
                                   periphery: try peripheryParameters(for: instrument), seed: seed,
                                   pacing: realTime ? .realTime : .virtual)
        if pristine ?? self.pristine {
            guard board.canBePristine else {
                throw ValidationError("--pristine: the device model of \(instrument.name) has no forming parameters (device.non_volatile.forming_volts, pristine_siemens, never_form_rate, over_form_rate)")
            }
            board.makePristine()
        }
        return board
    }
}

/// `--board`, `--instrument`, `--calibration`, `--seed`: how a command reaches its board.
struct BoardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The board: sim (default; a fresh simulated chip in every command), sim:FILE (a simulated chip kept in FILE across commands, as xbar sim --state keeps it), serial:PATH, usb:VID:PID[:SERIAL] (hexadecimal), twin:RUN (the digital twin of programming run RUN; infer only), or auto (a discovered board, else a stand-in).",
                               valueName: "address"))
    var board: String?

    /// The board address given, or `sim`.
    var address: String {
        get { board ?? "sim" }
        set { board = newValue }
    }

    @OptionGroup var simulation: SimulationOptions

    @Option(help: ArgumentHelp("Wait for a board's reply beyond the operation's own duration and, on a serial line, the wire time of the request and its largest reply at the line's baud rate; seconds (1, 500ms; up to 3600). Default: 1.", valueName: "seconds"),
            transform: QuantityArgument.seconds)
    var linkTimeout: Double = 1.0

    @Option(help: ArgumentHelp("Resends of a request to a board before it counts as lost (0 to 100), each after a pause that doubles from 0.05 s up to 1 s.", valueName: "count"))
    var linkRetries: Int = 3

    /// How a remote board waits and retries.
    ///
    /// - Throws: `ValidationError` naming the option that is out of range.
    func retryPolicy() throws -> RemoteBoard.RetryPolicy {
        try OptionCheck.requireWait(linkTimeout, "--link-timeout", positive: true)
        try OptionCheck.require(linkRetries, "--link-retries", in: 0...100)
        return RemoteBoard.RetryPolicy(replyTimeoutSeconds: linkTimeout, attempts: linkRetries + 1)
    }

    /// Opens the board and checks it against the instrument.
    ///
    /// - Parameter store: where `twin:RUN` (and `auto`, when it finds no board) find the chip's
    ///   records; without it `twin:RUN` is refused and `auto` stands in with the simulated board.
    /// - Throws: `ValidationError` when `--instrument` is missing, and the errors of loading the
    ///   instrument and the calibration, of reaching the board, and of building a twin.
    func openBoard(store: RunStore? = nil) throws -> (board: any Board, instrument: Instrument) {
        let address = try BoardAddress(parsing: self.address)
        let instrument = try simulation.loadInstrument()
        let twin = store.map { store in
            { (run: Int64?) throws -> any Board in try self.twin(of: run, instrument: instrument, store: store) }
        }
        let opened = try BoardConnector.open(
            address, instrument: instrument,
            simulatedParameters: try simulation.deviceParameters(for: instrument),
            simulatedPeriphery: try simulation.peripheryParameters(for: instrument),
            seed: simulation.seed, pristine: try simulation.checkedPristine(instrument), policy: try retryPolicy(), simulatedFaults: try simulation.linkFaults(),
            twin: twin, announce: announce)
        return (opened, instrument)
    }

    /// The twin of programming run `run`, or of the newest programming run of the instrument.
    ///
    /// - Throws: ``TwinError`` when there is no such run or it has no shadow map; calibration errors.
    func twin(of run: Int64?, instrument: Instrument, store: RunStore) throws -> DigitalTwin {
        guard let id = try run ?? store.newestProgrammingRun(instrumentName: instrument.name) else {
            throw TwinError.noProgrammingRun(what: "a \(instrument.name) board", store: store.path)
        }
        let (recipe, warnings) = try TwinRecipe.load(store: store, programmingRun: id, instrument: instrument,
                                                     calibrationPath: simulation.calibration)
        for w in warnings { announce("warning: \(w)") }
        return try recipe.build(seed: simulation.seed)
    }

    /// Warns when a fresh simulated chip is about to be read although the store holds a
    /// programming run of this instrument: the fresh chip holds none of what was programmed.
    func warnOfFreshSimulatedChip(store: RunStore, instrument: Instrument) {
        guard (try? BoardAddress(parsing: address)) == .simulated,
              let run = try? store.newestProgrammingRun(instrumentName: instrument.name) else { return }
        announce("warning: --board sim is a fresh simulated chip: it holds nothing of programming run \(run). "
                 + "Keep a simulated chip across commands with --board sim:FILE, or read what run \(run) left with --board twin:\(run) (infer)")
    }

    /// Tells people on standard error.
    func announce(_ text: String) {
        FileHandle.standardError.write(Data("xbar: \(text)\n".utf8))
    }
}
