import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

extension RunDraft {
    /// The draft of a run on `board`: who, which board (its identity), which instrument, and
    /// the calibration given with `--calibration` (registered in `store` if it is not yet).
    /// `arguments` are recorded with the board options added.
    static func started(kind: String, board: any Board, options: BoardOptions, instrument: Instrument, store: RunStore,
                        arguments: [String: String], labels: RunLabelOptions) throws -> RunDraft {
        var all = arguments
        all["board"] = options.address
        all["instrument"] = options.simulation.instrument
        if let c = options.simulation.calibration { all["calibration"] = c }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try started(kind: kind, board: board, identity: board.identify(), options: options, instrument: instrument,
                           store: store, argumentsJSON: String(decoding: try encoder.encode(all), as: UTF8.self), labels: labels)
    }

    /// The draft of a run whose arguments the command records itself (as JSON), for a board
    /// whose `identity` it has already asked for.
    static func started(kind: String, board: any Board, identity: BoardIdentity, options: BoardOptions, instrument: Instrument,
                        store: RunStore, argumentsJSON: String, labels: RunLabelOptions) throws -> RunDraft {
        RunDraft(
            kind: kind, user: RunDraft.currentUser,
            backend: board is SimulatedBoard ? "simulated (seed \(options.simulation.seed))" : board.backendDescription,
            boardModel: identity.model, boardSerial: identity.serialNumber, boardFirmware: identity.firmwareVersion,
            instrumentName: instrument.name, instrumentVersion: instrument.version, instrumentDigest: instrument.contentDigest,
            calibrationID: try options.simulation.calibration.map { try store.registerCalibrationFile(path: $0) },
            argumentsJSON: argumentsJSON, note: labels.note, sample: labels.sample)
    }
}
