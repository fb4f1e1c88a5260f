import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore

extension RunDraft {
    /// The draft of a run on `board`: who, which board (its identity), which instrument, and
    /// the calibration given with `--calibration` (registered in `store` if it is not yet).
    static func started(kind: String, board: any Board, options: BoardOptions, instrument: Instrument, store: RunStore,
                        arguments: [String: String]) throws -> RunDraft {
        let identity = try board.identify()
        var all = arguments
        all["board"] = options.board
        all["instrument"] = options.simulation.instrument
        if let c = options.simulation.calibration { all["calibration"] = c }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return RunDraft(
            kind: kind, user: RunDraft.currentUser,
            backend: board is SimulatedBoard ? "simulated (seed \(options.simulation.seed))" : board.backendDescription,
            boardModel: identity.model, boardSerial: identity.serialNumber, boardFirmware: identity.firmwareVersion,
            instrumentName: instrument.name, instrumentVersion: instrument.version, instrumentDigest: instrument.contentDigest,
            calibrationID: try options.simulation.calibration.map { try store.registerCalibrationFile(path: $0) },
            argumentsJSON: String(decoding: try encoder.encode(all), as: UTF8.self))
    }
}
