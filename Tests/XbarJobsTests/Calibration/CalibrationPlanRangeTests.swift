import Testing
import XbarInstrument
@testable import XbarJobs

@Suite("calibration plans with counts beyond the board")
struct CalibrationPlanRangeTests {
    static let instrument = try! InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: SimulatedProgramming.instrumentsFolder)

    func refusal(_ make: () throws -> CalibrationPlan) -> String? {
        do { _ = try make() } catch { return "\(error)" }
        return nil
    }

    @Test("every weight cell (16384) and every state node (256) may be sampled; one more, or 10^15, is refused naming the count")
    func boundaries() {
        let i = Self.instrument
        #expect(refusal { try CalibrationPlan(instrument: i, sampleCells: 16_384, stateNodes: 256) } == nil)
        #expect(refusal { try CalibrationPlan(instrument: i, sampleCells: 16_385) } == "usb-4x64: sample cells 16385 is outside 0...16384 (the board's weight cells)")
        #expect(refusal { try CalibrationPlan(instrument: i, sampleCells: 1_000_000_000_000_000) }?.contains("sample cells 1000000000000000") == true)
        #expect(refusal { try CalibrationPlan(instrument: i, stateNodes: 257) } == "usb-4x64: state nodes 257 is outside 0...256 (the nodes of its first state tile)")
        #expect(refusal { try CalibrationPlan(instrument: i, stmRepetitions: 100) } == nil)
        #expect(refusal { try CalibrationPlan(instrument: i, stmRepetitions: 101) }?.contains("STM repetitions 101 is outside 1...100") == true)
        #expect(refusal { try CalibrationPlan(instrument: i, peripheryProbes: 1 << 20) } == nil)
        #expect(refusal { try CalibrationPlan(instrument: i, peripheryProbes: (1 << 20) + 1) }?.contains("periphery probe vectors") == true)
    }
}
