import Testing
import XbarBoard
@testable import XbarSSM

/// Where a chip-in-loop inference's arithmetic happens, counted on short runs of the shipped
/// models on `usb-4x64` (set to their targets directly, read back, readout calibrated, as
/// `xbar infer` prepares a board).
@Suite("arithmetic on the array")
struct ArithmeticShareTests {
    static func run(_ stem: String, samples: Int, events: Int? = nil, decayOnChip: Bool) throws -> InferenceRun {
        let model = try Examples.model(stem)
        let instrument = try Examples.instrument()
        let board = SimulatedBoard(instrument: instrument, seed: 5)
        let map = try WeightMap(model: model, instrument: instrument)
        _ = try WeightProgramming.program(map, on: board, with: DirectSimulatedProgrammer())
        let engine = try ChipPreparation(decayOnChip: decayOnChip).prepare(board: board, model: model, map: map, instrument: instrument).engine
        var subset = Array(try Examples.testData(of: model).samples.prefix(samples))
        if let events { subset = subset.map { EventSample(events: Array($0.events.prefix(events)), label: $0.label) } }
        return try engine.run(subset)
    }

    /// Measured: event-digit S4D float 99.7 % with the decay on the host (its decays and the
    /// corrected pairs on the host), 99.9 % with the recurrence on the chip (its sums);
    /// spoken-digit int8 event SSM 99.6 %. The converters' side (offset, gain, code deviation
    /// per column; differences, sums and scaling per output; range planning) is counted too and
    /// is 10-18 % of all operations; it is no multiply-accumulate of the model.
    @Test("on usb-4x64 at least 95 % of the model's multiply-accumulates run on the array, for the S4D (decay on the host or on the chip) and the event SSM, and every host operation is counted")
    func arrayShare() throws {
        let s4dHost = try Self.run("event_digits_s4d_float", samples: 4, decayOnChip: false)
        let s4dChip = try Self.run("event_digits_s4d_float", samples: 4, decayOnChip: true)
        let event = try Self.run("spoken_digits_event_ssm_int8", samples: 2, events: 40, decayOnChip: false)
        for (name, r) in [("S4D, host decay", s4dHost), ("S4D, on chip", s4dChip), ("event SSM", event)] {
            let a = r.arithmetic
            print("\(name): \(a.arrayShareOfMultiplyAccumulates) of MACs on the array; host operations \(a.hostShare) of all")
            #expect(a.arrayShareOfMultiplyAccumulates >= 0.95, "\(name): \(a.arrayShareOfMultiplyAccumulates)")
            #expect(a.readoutCorrections > 0 && a.outputScaling > 0 && a.rangePlanning > 0)
            #expect(a.hostOperations == a.hostMultiplyAccumulates + a.readoutCorrections + a.outputScaling + a.rangePlanning
                    + a.pulsePlanning + a.stateDecoding + a.closeCallDecisions)
        }
        // 4 samples x 30 steps x 32 states x 2 layers of decays on the host; none on the chip,
        // where each layer's two products are added and the increment added to the state.
        #expect(s4dHost.arithmetic.stateDecays == 4 * 30 * 32 * 2 && s4dHost.arithmetic.partialSums == 0)
        #expect(s4dChip.arithmetic.stateDecays == 0 && s4dChip.arithmetic.partialSums == 4 * 30 * 32 * 2 * 2)
        #expect(event.arithmetic.stateDecays == 2 * 40 * 32 * 2)
    }
}
