import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarJobs
@testable import XbarSSM

/// The chip-in-loop engine with the event SSM's states on the STM nodes of a write-verified
/// simulated `usb-4x64-multitau` board (the shipped node calibration's board, seed 1).
@Suite("chip-in-loop engine with the states on STM nodes")
struct STMEngineTests {
    static func engine(_ model: SSMModel, path: String, board: SimulatedBoard, instrument: Instrument) throws -> ChipInLoopEngine {
        let map = try WeightMap(model: model, instrument: instrument)
        _ = try WeightProgramming.program(map, on: board, with: WriteVerifyWeightProgrammer(instrument: instrument))
        let believed = map.believedConductances(readBack: try TileReadback(instrument: instrument).read(map, on: board), toleranceSiemens: 3e-6)
        let calibration = try ReadoutProbe(probeVectors: 256).measure(on: board, map: map, instrument: instrument, believedSiemens: believed)
        let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument,
                                          settings: ReadoutSettings(inputScaling: .perVector, ditherPairs: 1, diagonalDitherPairs: 4),
                                          calibration: calibration, defects: PairDefects(map: map, measured: believed, thresholdSiemens: 3e-6))
        engine.statePlayer = try STMStatePlayer(board: board, nodes: try STMNodeModel.forModel(model, modelPath: path, instrument: instrument),
                                                instrument: instrument, model: model)
        return engine
    }

    /// Measured on the first 12 samples: 12 of 12 (both 100 % right). A chip whose states were noise would agree
    /// by chance on about one sample in ten.
    @Test("the board-trained event-digit SSM with its states on the nodes agrees with its digital reference on at least 10 of the first 12 samples, with no state decay on the host")
    func agreesWithReference() throws {
        let path = Examples.path("event_digits_event_ssm_usb-4x64-multitau.safetensors")
        let model = try SSMModel(contentsOf: path)
        let instrument = try STMStatePlayerTests.instrument()
        let subset = Array(try Examples.testData(of: model).samples.prefix(12))
        let reference = ReferenceEngine(model: model).run(subset)
        let chip = try Self.engine(model, path: path, board: SimulatedBoard(instrument: instrument, seed: 1), instrument: instrument).run(subset)
        let agree = zip(reference.predictions, chip.predictions).filter { $0 == $1 }.count
        let stm = try #require(chip.stateNodes)
        print("STM engine: reference \(reference.accuracy), chip \(chip.accuracy), agreement \(agree)/12; \(stm.pulses) pulses, \(stm.reads) reads, host share \(chip.arithmetic.hostShare)")
        #expect(agree >= 10)
        #expect(chip.arithmetic.stateDecays == 0)
        #expect(chip.arithmetic.stateDecoding > 0 && chip.arithmetic.pulsePlanning > 0)
        #expect(stm.programs == 2 * subset.count)
        // Every event's pulses and reads ran at its own time: the programs took the samples' duration.
        #expect(abs(stm.programBoardSeconds - stm.sampleSeconds) < 0.01 * stm.sampleSeconds)
    }

    @Test("a calibration file other than the one the model was trained with is refused, naming both digests")
    func otherCalibrationRefused() throws {
        let path = Examples.path("event_digits_event_ssm_usb-4x64-multitau.safetensors")
        let model = try SSMModel(contentsOf: path)
        let instrument = try STMStatePlayerTests.instrument()
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-other-calibration-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: other) }
        var text = try String(contentsOfFile: STMStatePlayerTests.calibrationPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"createdAt\"", with: "\"createdAt\" ", options: [], range: text.range(of: "\"createdAt\""))
        try text.write(toFile: other, atomically: true, encoding: .utf8)
        #expect {
            _ = try STMNodeModel.forModel(model, modelPath: path, instrument: instrument, path: other)
        } throws: { error in
            String(describing: error).contains("is not the calibration") && String(describing: error).contains("SHA-256")
        }
        // A model not trained for a board cannot hold its states on nodes.
        let plain = try Examples.model("event_digits_event_ssm_float")
        #expect(throws: STMStateError.self) { _ = try STMNodeModel.forModel(plain, modelPath: "float", instrument: instrument) }
    }
}
