import Foundation
import XbarInstrument
import XbarJobs

extension STMNodeModel {
    /// The node calibration a board-trained model was trained with: `path`, or the file the model
    /// names, beside the model file; its SHA-256 must be the one the model recorded.
    ///
    /// - Throws: ``STMStateError`` when the model was not trained for a board, for another
    ///   instrument, or the file is missing or is not the model's calibration;
    ///   `CalibrationFileError` when the file does not parse.
    public static func forModel(_ model: SSMModel, modelPath: String, instrument: Instrument, path: String? = nil) throws -> STMNodeModel {
        guard let binding = model.boardBinding else {
            throw STMStateError.modelNotBound("\(modelPath) was not trained for a board's STM nodes (no node time constants or scales); train one with `python3 -m tools.board_training --calibration CAL --task TASK`")
        }
        guard binding.instrument == instrument.name else {
            throw STMStateError.modelNotBound("\(modelPath) was trained for \(binding.instrument)'s STM nodes, the board is \(instrument.name)")
        }
        let beside = binding.calibrationFile.map {
            URL(fileURLWithPath: modelPath).deletingLastPathComponent().appendingPathComponent($0).path
        }
        guard let file = path ?? beside else {
            throw STMStateError.calibrationMismatch("\(modelPath) names no calibration file; give the node calibration's path")
        }
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw STMStateError.calibrationMismatch("\(file): cannot be read")
        }
        let digest = SHA256Hex.digest([UInt8](bytes))
        guard digest == binding.calibrationSHA256 else {
            throw STMStateError.calibrationMismatch("\(file) is not the calibration \(modelPath) was trained with (SHA-256 \(digest.prefix(12))..., the model's \(binding.calibrationSHA256.prefix(12))...)")
        }
        return try STMNodeModel(calibration: try CalibrationFile.load(path: file), calibrationSHA256: digest, instrument: instrument)
    }
}
