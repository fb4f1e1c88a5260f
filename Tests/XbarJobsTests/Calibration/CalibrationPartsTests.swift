import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarWire
@testable import XbarJobs

@Suite("A calibration measured part by part: stopped, saved and resumed")
struct CalibrationPartsTests {
    /// Eight cells and eight nodes, no periphery: two parts, measured in a second.
    func smallPlan(_ instrument: Instrument) throws -> CalibrationPlan {
        try CalibrationPlan(instrument: instrument, sampleCells: 8, stateNodes: 8, peripheryProbes: 0)
    }

    @Test("stopped after its first part, a calibration resumes with that part kept and measures only the rest")
    func stopAndResume() throws {
        let instrument = try InstrumentCatalog.locate().resolve("usb-4x64")
        let plan = try smallPlan(instrument)
        #expect(CalibrationParts().progress(for: plan) == (0, 2))
        let board = SimulatedBoard(instrument: instrument, seed: 11)
        let calibrator = Calibrator(instrument: instrument, plan: plan)

        var saved: [CalibrationParts] = []
        #expect(throws: JobInterrupted.self) {
            _ = try calibrator.measure(on: board, partMeasured: { saved.append($0) }, shouldStop: { !saved.isEmpty })
        }
        let first = try #require(saved.last)
        #expect(saved.count == 1 && first.progress(for: plan) == (1, 2))
        #expect(first.nonVolatile?.count == 8 && first.shortTermMemory.isEmpty)
        #expect(first.measurements(for: plan) == nil, "incomplete parts are no measurements")

        // Saved and read back exactly (the store keeps the encoded form).
        let stored = try CalibrationParts(decoding: try first.encoded())
        #expect(stored == first)

        var resumedSaves: [CalibrationParts] = []
        let measurements = try calibrator.measure(on: board, resuming: stored, partMeasured: { resumedSaves.append($0) })
        #expect(resumedSaves.count == 1, "only the STM part was measured")
        #expect(measurements.nonVolatile == first.nonVolatile, "the curves measured before are kept, not measured again")
        // Eight nodes: one read train per node and sweep point and repetition at least.
        let sweep = try #require(plan.shortTermMemory.first).sweep
        #expect(measurements.stmTraces.count >= 8 * sweep.points.count * sweep.repetitions)
        #expect(resumedSaves.last?.measurements(for: plan) == measurements)
    }

    @Test("NaN and infinite readings survive the stored form")
    func nonFiniteValues() throws {
        let trace = STMTrace(tile: 4, node: CellIndex(row: 0, column: 1), point: 0, repetition: 0, amplitudeVolts: 1.2,
                             widthSeconds: 1e-6, pulseCount: 1, pulseEndNanoseconds: 10,
                             timestampsNanoseconds: [20, 30, 40], conductancesSiemens: [.nan, .infinity, 2.5e-6])
        let parts = CalibrationParts(shortTermMemory: [[trace]])
        let back = try CalibrationParts(decoding: try parts.encoded())
        let values = try #require(back.shortTermMemory.first?.first).conductancesSiemens
        #expect(values[0].isNaN && values[1] == .infinity && values[2] == 2.5e-6)
    }
}
