import Foundation
import Testing
import XbarBoard
import XbarInstrument
@testable import XbarSSM

@Suite("the inference energy estimate")
struct InferenceEnergyTests {
    @Test("a product costs Σ V² G over the driven rows times the integration time, a DAC conversion per driven row and an ADC conversion per column")
    func arithmetic() {
        var energy = InferenceEnergy()
        energy.addProduct(rowVolts: [0.1, 0, -0.2], rowSiemens: [1e-5, 5e-5, 2e-5], columns: 4)
        energy.addPulses(2, volts: 1.5, widthSeconds: 1e-7, siemens: 1e-5)
        energy.addReads(3)
        let j = energy.joules(ConverterEnergy(dacJoulesPerConversion: 1e-12, adcJoulesPerConversion: 2e-12, mvmIntegrationSeconds: 1e-7))
        // 0.01 V² x 10 uS + 0.04 V² x 20 uS = 0.9 uW for 100 ns.
        #expect(abs(j.array - 9e-14) < 1e-20)
        #expect(j.dac == 2e-12 && j.adc == 7 * 2e-12)
        #expect(abs(j.pulses - 2 * 2.25 * 1e-5 * 1e-7) < 1e-20)
        #expect((energy - energy).joules(ConverterEnergy(dacJoulesPerConversion: 1, adcJoulesPerConversion: 1, mvmIntegrationSeconds: 1)).total == 0)
    }

    /// Three samples of the int8 event SSM cut to 40 events, on a simulated board whose tiles hold
    /// the targets: every vector the engine sent converts all 64 columns, and the estimate per
    /// event lands where picojoule converters and microsiemens cells put it.
    @Test("a chip-in-loop inference reports one ADC conversion per column of every vector it sent and an energy per event in the nanojoule range")
    func chipInference() throws {
        let model = try Examples.model("event_digits_event_ssm_int8")
        let instrument = try Examples.instrument()
        let samples = try Examples.testData(of: model).samples.prefix(3).map { s in
            var cut = s
            cut.events = Array(s.events.prefix(40))
            return cut
        }
        let board = SimulatedBoard(instrument: instrument, seed: 3)
        let map = try WeightMap(model: model, instrument: instrument)
        _ = try WeightProgramming.program(map, on: board, with: DirectSimulatedProgrammer())
        let engine = try ChipInLoopEngine(model: model, map: map, board: board, instrument: instrument)
        let run = try engine.run(samples)
        let figures = try #require(instrument.energy)
        let j = run.energy.joules(figures)
        #expect(run.energy.adcConversions == run.mvmVectors * 64, "\(run.energy.adcConversions) conversions for \(run.mvmVectors) vectors")
        #expect(run.energy.dacConversions > 0 && run.energy.dacConversions <= run.mvmVectors * 64)
        let perEvent = j.total / Double(run.eventCount)
        #expect((1e-11...1e-7).contains(perEvent), "\(perEvent) J per event")
        #expect(j.array > 0 && j.pulses == 0, "no STM pulses when the states decay on the host")
    }
}
