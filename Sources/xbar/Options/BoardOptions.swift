import ArgumentParser
import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs

/// Which instrument, and what the simulated board runs on: shared by every command that may
/// simulate a board.
struct SimulationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Board type: a name from instruments/ (e.g. usb-4x64) or a path to an instrument file.",
                               valueName: "name|path"))
    var instrument: String

    @Option(help: ArgumentHelp("Calibration file whose fitted device model the simulated board uses instead of the instrument's defaults.",
                               valueName: "path"))
    var calibration: String?

    @Option(help: "Seed of the simulated board's device-to-device and cycle-to-cycle randomness.")
    var seed: UInt64 = 1

    func loadInstrument() throws -> Instrument {
        try InstrumentCatalog.locate().resolve(instrument)
    }

    /// The device model: the calibration's when one is given, else the instrument's defaults.
    func deviceParameters(for instrument: Instrument) throws -> DeviceParameters? {
        guard let calibration else { return nil }
        let (parameters, warnings) = try CalibrationFile.deviceParameters(path: calibration, for: instrument)
        for w in warnings { FileHandle.standardError.write(Data("xbar: warning: \(w)\n".utf8)) }
        return parameters
    }

    func makeSimulatedBoard(instrument: Instrument, realTime: Bool = false) throws -> SimulatedBoard {
        SimulatedBoard(instrument: instrument, parameters: try deviceParameters(for: instrument), seed: seed,
                       pacing: realTime ? .realTime : .virtual)
    }
}

/// `--board`, `--instrument`, `--calibration`, `--seed`: how a command reaches its board.
struct BoardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The board: sim, serial:PATH, usb:VID:PID[:SERIAL] (hexadecimal), or auto (a discovered board, else the simulated one).",
                               valueName: "address"))
    var board: String = "sim"

    @OptionGroup var simulation: SimulationOptions

    /// Opens the board and checks it against the instrument.
    func openBoard() throws -> (board: any Board, instrument: Instrument) {
        let address = try BoardAddress(parsing: board)
        let instrument = try simulation.loadInstrument()
        let opened = try BoardConnector.open(
            address, instrument: instrument,
            simulatedParameters: try simulation.deviceParameters(for: instrument),
            seed: simulation.seed,
            announce: { FileHandle.standardError.write(Data("xbar: \($0)\n".utf8)) })
        return (opened, instrument)
    }
}
