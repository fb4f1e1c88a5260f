import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarWire
@testable import XbarSSM

/// The converter's bow near mid-scale, which probes in the widest range alone read as one more
/// column offset, against what a product converted in a sense range needs taken off.
@Suite("readout calibration in sense ranges")
struct ReadoutConverterBowTests {
    /// The shipped periphery (bow 1 LSB per the instrument file) on the spoken S4D float model's
    /// tiles. Zero-input conversions in the 64 and 16 uA ranges, corrected as the engine corrects
    /// them (code deviation, offset, gain): measured before the bow was split off, every column
    /// came out 7.1-8.6 uA below zero (a wide step of bow taken off where the range added a
    /// fraction of its own step) and a pair's difference 0.52-0.74 uA RMS; with it split off,
    /// means within 0.02 uA and pair differences 0.19-0.35 uA (each offset's fit from the wide
    /// range's probes, about 0.1-0.15 uA per column). Asserted: means within 0.5 uA, pair
    /// differences under 0.45 uA in both ranges.
    @Test("zero input in the 64 and 16 uA ranges corrects to within 0.5 uA of zero per column on average, and pairs differ by under 0.45 uA RMS",
          arguments: [1, 5] as [UInt64])
    func zeroInputInRanges(seed: UInt64) throws {
        let instrument = try Examples.instrument()
        let model = try Examples.model("spoken_digits_s4d_float")
        let simulated = SimulatedBoard(instrument: instrument, seed: seed)
        #expect(simulated.periphery.mvmNonlinearity.bowLSB > 0.3, "the shipped periphery has a bow to split off")
        let map = try WeightMap(model: model, instrument: instrument)
        _ = try WeightProgramming.program(map, on: simulated, with: DirectSimulatedProgrammer())
        let calibration = try ReadoutProbe().measure(on: simulated, map: map, instrument: instrument)
        let levels = Double((1 << (Int(instrument.adc.bits) - 1)) - 1)
        let wide = Double(instrument.adc.mvmFullScaleAmperes) / levels
        for fullScale in [64e-6, 16e-6] {
            let index = try #require(instrument.senseRanges.firstIndex { abs(Double($0.fullScaleAmperes) - fullScale) < 1e-9 })
            let step = fullScale / levels
            for tile in calibration.tiles {
                let columns = tile.gains.count, vectors = 16
                let reply = try simulated.mvm(MatrixVectorProduct(tile: tile.tile, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                                  inputs: [Float](repeating: 0, count: vectors * 64), senseRange: UInt8(index)))
                var corrected = [Double](repeating: 0, count: reply.amperes.count)
                var sum = 0.0
                for (k, y) in reply.amperes.enumerated() {
                    #expect(reply.saturated?[k] == false, "tile \(tile.tile) column \(k % columns) saturated at zero input")
                    let c = k % columns
                    corrected[k] = (tile.linearised(Double(y), step: step, tableStep: wide) - tile.offsetsAmperes[c]) / tile.gains[c]
                    sum += corrected[k]
                }
                var squares = 0.0
                for v in 0..<vectors {
                    for j in 0..<(columns / 2) {
                        let d = corrected[v * columns + 2 * j] - corrected[v * columns + 2 * j + 1]
                        squares += d * d
                    }
                }
                let mean = sum / Double(corrected.count), pairRMS = (squares / Double(vectors * columns / 2)).squareRoot()
                print(String(format: "seed %d, %.0f uA range, tile %d: zero input corrected mean %.3f uA, pair difference %.3f uA RMS",
                             Int(seed), 1e6 * fullScale, Int(tile.tile), 1e6 * mean, 1e6 * pairRMS))
                #expect(abs(mean) < 0.5e-6, "tile \(tile.tile), \(fullScale) A range: mean \(mean) A")
                #expect(pairRMS < 0.45e-6, "tile \(tile.tile), \(fullScale) A range: pair differences \(pairRMS) A RMS")
            }
        }
    }
}
