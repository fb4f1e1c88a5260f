@testable import XbarSSM

/// TEST SUPPORT: a model holding one matrix, `readout.W`, placed from row 0 and column pair 0 of
/// a tile: enough for the chip-in-loop backend to multiply by it.
enum SingleMatrixModel {
    static func make(_ W: Matrix, tile: Int = 0) -> SSMModel {
        SSMModel(file: "single-matrix test model", architecture: .eventSSM, layers: [], embedding: nil, readoutWeights: W,
                 readoutBias: [Double](repeating: 0, count: W.rows), classNames: (0..<W.rows).map(String.init),
                 inputCount: W.columns, modelWidth: W.columns, stateCount: 0, activationRanges: nil,
                 timeStepSeconds: nil, stepCount: nil, inputMode: nil,
                 placements: [TilePlacement(matrix: "readout.W", tile: tile, rowOffset: 0, rows: W.columns, inputOffset: 0,
                                            colPairOffset: 0, outputs: W.rows)],
                 reportedTestAccuracy: nil, testDataFile: nil)
    }
}
