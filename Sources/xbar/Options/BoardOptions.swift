import ArgumentParser
import XbarBoard
import XbarInstrument

/// `--board`, `--seed`, `--instrument`: which board a command drives and what it is.
///
/// Only the simulated board is wired up here (`--board sim`); physical boards and the board
/// emulator come with the remote board client.
struct BoardOptions: ParsableArguments {
    @Option(help: "Board to use: sim (the simulated board, in this process).")
    var board = "sim"

    @Option(help: "Seed of the simulated board (its device-to-device draws and noise).")
    var seed: UInt64 = 1

    @Option(help: "Instrument name (a file in the instruments folder) or path to an instrument file.")
    var instrument = "usb-4x64"

    func loadInstrument() throws -> Instrument {
        try InstrumentCatalog.resolve(instrument, instrumentsDirectory: nil)
    }

    /// Opens the board described by the options.
    ///
    /// - Throws: `ValidationError` for a board kind this build cannot open.
    func openBoard(instrument: Instrument) throws -> any Board {
        guard board == "sim" else {
            throw ValidationError("--board \(board): only `sim` (the simulated board) is available in this build")
        }
        return SimulatedBoard(instrument: instrument, seed: seed)
    }

    /// How the run records the backend.
    var backendDescription: String { board == "sim" ? "simulated (seed \(seed))" : board }
}
