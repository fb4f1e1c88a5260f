import Testing
import XbarBoard
@testable import XbarSSM

/// The chip-in-loop readout on a board with sense ranges (`usb-4x64`'s five), on an ideal
/// periphery so that what differs is the converter's range and steps.
@Suite("readout in sense ranges")
struct SenseRangeReadoutTests {
    static func backend(_ board: SimulatedBoard, _ W: Matrix, _ settings: ReadoutSettings) throws -> ChipInLoopBackend {
        let instrument = try Examples.instrument()
        let model = SingleMatrixModel.make(W)
        let map = try WeightMap(model: model, instrument: instrument)
        let outcomes = try WeightProgramming.program(map, on: board, with: DirectSimulatedProgrammer())
        let defects = PairDefects(map: map, measured: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.tile, $0.measuredSiemens) }),
                                  thresholdSiemens: 3e-6)
        return ChipInLoopBackend(board: board, model: model, map: map, instrument: instrument,
                                 maxPayloadBytes: SimulatedBoard.maxPayloadBytes, settings: settings, defects: defects,
                                 senseRanges: instrument.senseRanges)
    }

    /// Sixteen outputs of 62 inputs, a quarter of the weights ±1 and the rest 0; inputs of both
    /// signs: column signals of tens of microamperes, a few steps of the ADC's 1 mA.
    static let sparse = Matrix(rows: 16, columns: 62, values: (0..<(16 * 62)).map { (k: Int) -> Double in
        let h = (k &* 2_654_435_761) % 97
        return h < 12 ? 1 : (h < 24 ? -1 : 0)
    })
    static let inputs: [[Double]] = (0..<300).map { (v: Int) -> [Double] in
        (0..<62).map { (i: Int) -> Double in
            let level = Double((v * 31 + i * 17) % 41)
            return level / 20 - 1
        }
    }

    /// Their planned signals span 16 to 64 steps of the range chosen: converted once with a
    /// 16-step threshold, dithered with the default 64.
    @Test("a vector whose signal spans the threshold's steps in its range is converted once, as accurately as eight dithered conversions at the ADC's full scale and far better than one")
    func oneConversionInRange() throws {
        let instrument = try Examples.instrument()
        func run(_ settings: ReadoutSettings) throws -> (error: Double, conversions: Double, ranged: Int, saturated: Int) {
            var b = try Self.backend(SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 21), Self.sparse, settings)
            let got = try b.products(of: "readout.W", inputs: Self.inputs, inputRange: nil)
            return (ReadoutRangingTests.relativeError(got, Self.sparse, Self.inputs), Double(b.vectorCount) / Double(b.productCount),
                    b.rangedVectors, b.saturatedConversions)
        }
        var once = ReadoutSettings.ranged
        once.ditherFreeSteps = 16
        let ranged = try run(once)
        let rangedDithered = try run(.ranged)
        var plain = ReadoutSettings.ranged
        plain.usesSenseRanges = false
        let dithered = try run(plain)
        plain.ditherPairs = 0
        let single = try run(plain)
        print("in ranges: error \(ranged.error), \(ranged.conversions) conversions per product, \(ranged.saturated) saturated; "
              + "no ranges, dithered: \(dithered.error), \(dithered.conversions); no ranges, one conversion: \(single.error)")
        #expect(ranged.conversions <= 1.1)
        #expect(ranged.ranged > 0)
        #expect(dithered.conversions == 8)
        #expect(dithered.ranged == 0)
        #expect(ranged.error <= dithered.error * 1.2)
        #expect(ranged.error * 2 <= single.error)
        // Under the default 64 steps they are dithered in their range: better still.
        #expect(rangedDithered.ranged > 0 && rangedDithered.conversions == 8)
        #expect(rangedDithered.error <= ranged.error)
    }

    /// Inputs on `n` rows at full scale, `n` as many as the 250 µA range holds for the targets
    /// (each driven `G+` cell at about 70 µS draws 17.5 µA at 0.25 V); the cells then hold 30 %
    /// more than their targets, so every `G+` column draws more than the range holds.
    @Test("a vector its range flags as saturated is measured again one range up, and its product comes out within 3 %")
    func flaggedVectorsMoveUpOneRange() throws {
        let instrument = try Examples.instrument()
        let board = SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 12)
        var settings = ReadoutSettings.ranged
        settings.adcHeadroom = 1
        var backend = try Self.backend(board, ReadoutRangingTests.ones, settings)
        let target = try #require(backend.map.tiles.first { $0.tile.index == 0 })
        let largest = target.siemens.max() ?? 0
        let rows = Int(250e-6 / (0.25 * largest))
        try board.setConductances(tile: 0, siemens: target.siemens.map { $0 * 1.3 })
        let row: [Double] = (0..<62).map { (i: Int) -> Double in i < rows ? 1 : 0 }
        let inputs = [[Double]](repeating: row, count: 8)
        let got = try backend.products(of: "readout.W", inputs: inputs, inputRange: nil)
        #expect(backend.remeasuredVectors == inputs.count)
        #expect(backend.saturatedConversions > 0)
        let W = Matrix(rows: 16, columns: 62, values: ReadoutRangingTests.ones.values.map { $0 * 1.3 })
        let error = ReadoutRangingTests.relativeError(got, W, inputs)
        #expect(error <= 0.03, "error \(error) against the 30 % larger weights the cells now hold")
        print("\(rows) rows at \(largest) S; remeasured \(backend.remeasuredVectors); error \(error)")
    }
}
