import Foundation
import Testing
import XbarBoard
@testable import XbarSSM

@Suite("chip-in-loop engine")
struct ChipInLoopEngineTests {
    static let samples = 50

    /// Margin: on 50 samples one sample is 2 points. Even with stuck pairs corrected and four
    /// dither pairs per product, the 8-bit ADC (a step of 1/127 of a full scale sized for whole
    /// columns) leaves products of a 32-row slab with about 10 % relative error (measured), plus
    /// programming error (write-verify tolerance 1 uS of a 68 uS range) and 1.5 % read noise.
    /// The float models were trained without any device noise and lose about 10 points to that
    /// (measured: 92 % -> 82 % on these 50 samples); 15 points (7 samples) covers it with room
    /// for sampling spread. A broken mapping or a sign error scores near chance (10 %), far outside.
    static let marginPoints = 15.0

    @Test("on the simulated board every shipped model classifies 50 test samples within 15 points of the digital reference")
    func accuracyNearReference() throws {
        let instrument = try Examples.instrument()
        for stem in try Examples.modelsWithReferenceLogits() {
            let model = try Examples.model(stem)
            let data = try Examples.testData(of: model)
            let subset = Array(data.samples.prefix(Self.samples))
            let board = SimulatedBoard(instrument: instrument, seed: 7)
            let map = try WeightMap(model: model, instrument: instrument)
            let outcomes = try WeightProgramming.program(map, on: board, with: TestWriteVerify())
            let yield = Double(outcomes.reduce(0) { $0 + $1.cellsInTolerance }) / Double(outcomes.reduce(0) { $0 + $1.cells })
            #expect(yield > 0.95, "\(stem): programming yield \(yield)")

            let reference = ReferenceEngine(model: model).run(subset)
            let defects = PairDefects(map: map, measured: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.tile, $0.measuredSiemens) }),
                                      thresholdSiemens: 3e-6)
            let chip = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument,
                                            ditherPairs: 4, defects: defects).run(subset)
            print("\(stem): reference \(reference.accuracy), chip \(chip.accuracy), yield \(yield), \(chip.mvmRequests) MVM requests")
            #expect(chip.backend == "simulated")
            #expect(chip.mvmRequests > 0 && chip.mvmVectors >= chip.mvmRequests)
            #expect(100 * (reference.accuracy - chip.accuracy) <= Self.marginPoints,
                    "\(stem): reference \(reference.accuracy), chip \(chip.accuracy)")
        }
    }
}
