import Testing
import XbarBoard
@testable import XbarSSM

/// Ranging alone, without a readout calibration: on a board with an ideal periphery, so that
/// the errors left are those of the converters' range and steps (the array periphery is what
/// the readout calibration is for; see ReadoutCalibrationTests and ChipInLoopEngineTests).
@Suite("readout ranging")
struct ReadoutRangingTests {
    /// Sixteen outputs whose 62 weights are all +1: with per-output mapping every `G+` cell sits
    /// at the top of the range (about 70 uS), so 62 rows near the DAC's full scale (0.25 V)
    /// draw about 1.06 mA from each `G+` column, beyond the ADC's 1 mA. The tile's other two
    /// rows take the dither, so the earlier method drives the signal at full scale.
    static let ones = Matrix(rows: 16, columns: 62, values: [Double](repeating: 1, count: 16 * 62))

    /// Positive inputs between 0.95 and 1, so every column current is near its largest.
    static let inputs: [[Double]] = (0..<24).map { (v: Int) -> [Double] in
        (0..<62).map { (i: Int) -> Double in
            let level = Double((v * 7 + i * 13) % 17)
            return 0.95 + 0.05 * level / 16
        }
    }

    static func relativeError(_ got: [[Double]], _ W: Matrix, _ x: [[Double]]) -> Double {
        var e = 0.0, s = 0.0
        for (g, v) in zip(got, x) {
            for (a, b) in zip(g, W.times(v)) {
                e += (a - b) * (a - b)
                s += b * b
            }
        }
        return (e / s).squareRoot()
    }

    static func backend(_ board: SimulatedBoard, _ settings: ReadoutSettings) throws -> ChipInLoopBackend {
        let instrument = try Examples.instrument()
        let model = SingleMatrixModel.make(Self.ones)
        let map = try WeightMap(model: model, instrument: instrument)
        let outcomes = try WeightProgramming.program(map, on: board, with: DirectSimulatedProgrammer())
        let defects = PairDefects(map: map, measured: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.tile, $0.measuredSiemens) }),
                                  thresholdSiemens: 3e-6)
        return ChipInLoopBackend(board: board, model: model, map: map, instrument: instrument,
                                 maxPayloadBytes: SimulatedBoard.maxPayloadBytes, settings: settings, defects: defects)
    }

    /// The ranged readout plans the columns to 80 % of the ADC's range, where a product of 62
    /// equal weights has a signal of about 100 ADC steps against errors of a fraction of a step
    /// and 1.5 % read noise per cell averaged over 62 cells and 8 copies (about 0.1 %); 2 %
    /// leaves room for stuck cells the pair correction misses. The earlier method clips every
    /// `G+` column at full scale, about 5 % low.
    @Test("a product whose columns would draw 1.1 mA is planned inside the ADC's range: no saturated conversion, within 2 % of exact; the earlier method saturates")
    func plannedWithinRange() throws {
        let instrument = try Examples.instrument()
        var ranged = try Self.backend(SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 11), .ranged)
        let good = try ranged.products(of: "readout.W", inputs: Self.inputs, inputRange: nil)
        #expect(ranged.saturatedConversions == 0)
        let rangedError = Self.relativeError(good, Self.ones, Self.inputs)
        #expect(rangedError <= 0.02, "ranged error \(rangedError)")

        var earlier = try Self.backend(SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 11), .activationRange)
        let clipped = try earlier.products(of: "readout.W", inputs: Self.inputs, inputRange: nil)
        #expect(earlier.saturatedConversions > 0)
        let earlierError = Self.relativeError(clipped, Self.ones, Self.inputs)
        #expect(earlierError >= 0.03, "earlier error \(earlierError)")
        print("ranged: error \(rangedError), \(ranged.saturatedConversions) saturated; earlier: error \(earlierError), \(earlier.saturatedConversions) saturated")
    }

    /// Cells 15 % above their targets make the planned currents (from the targets) too small:
    /// planned at the whole range, the conversions saturate, and each such vector is measured
    /// again at half the scale, where it fits. Tolerance as above.
    @Test("a vector that saturates despite the plan is measured again at half scale and its product comes out within 2 %")
    func saturatedVectorsRemeasured() throws {
        let instrument = try Examples.instrument()
        let board = SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 12)
        var settings = ReadoutSettings.ranged
        settings.adcHeadroom = 1
        var backend = try Self.backend(board, settings)
        for t in backend.map.tiles where t.tile.index == 0 {
            try board.setConductances(tile: 0, siemens: t.siemens.map { $0 * 1.15 })
        }
        let got = try backend.products(of: "readout.W", inputs: Self.inputs, inputRange: nil)
        #expect(backend.remeasuredVectors > 0)
        // Each vector is measured anew at most once: half the scale leaves room for the 15 %.
        #expect(backend.remeasuredVectors <= Self.inputs.count)
        let error = Self.relativeError(got, Matrix(rows: 16, columns: 62, values: Self.ones.values.map { $0 * 1.15 }), Self.inputs)
        #expect(error <= 0.02, "error \(error) against the 15 % larger weights the cells now hold")
        print("remeasured \(backend.remeasuredVectors) of \(Self.inputs.count) vectors; error \(error)")
    }
}
