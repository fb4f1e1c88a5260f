import Foundation
import Testing
import XbarBoard
import XbarJobs
import XbarStore
@testable import XbarSSM

/// The touch-up before inference on the simulated `usb-4x64`: the event-digit S4D float
/// write-verified with the lab's job, then an hour of virtual time, then prepared as `xbar
/// infer` prepares a board.
@Suite("touch-up before inference")
struct TouchUpTests {
    let model: SSMModel
    let instrument: Instrument
    let map: WeightMap
    let board: SimulatedBoard

    init() throws {
        model = try Examples.model("event_digits_s4d_float")
        instrument = try Examples.instrument()
        map = try WeightMap(model: model, instrument: instrument)
        board = SimulatedBoard(instrument: instrument, seed: 3)
        _ = try WeightProgramming.program(map, on: board, with: WriteVerifyWeightProgrammer(instrument: instrument))
        board.advanceTime(seconds: 3600)
    }

    @Test("an hour after programming, the touch-up leaves fewer pairs past the threshold, pulsing only cells of drifted pairs, each pulse recorded; switched off it pulses nothing")
    func touchUp() throws {
        // Off: today's preparation, the reference count of drifted pairs.
        var off = ChipPreparation()
        off.touchesUp = false
        off.probeVectors = 0
        let pulsesBefore = board.pulsesApplied
        let untouched = try off.prepare(board: board, model: model, map: map, instrument: instrument,
                                        touchUp: WriteVerifyWeightProgrammer(instrument: instrument))
        #expect(board.pulsesApplied == pulsesBefore, "switched off, the preparation pulses nothing")
        #expect(untouched.touchUp == nil)
        let drifted = untouched.defects.count
        print("pairs past 3 uS an hour after programming: \(drifted)")
        #expect(drifted > 0, "an hour of relaxation takes some pairs past 3 uS")

        let folder = try Examples.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        let run = try store.startRun(RunDraft(kind: "touch-up", user: "tester", backend: "sim", argumentsJSON: "{}"))
        var on = ChipPreparation()
        on.probeVectors = 0
        let start = board.pulsesApplied
        let prepared = try on.prepare(board: board, model: model, map: map, instrument: instrument,
                                      touchUp: WriteVerifyWeightProgrammer(instrument: instrument, journal: StoreJournal(store: store, runID: run),
                                                                           store: store, runID: run))
        let t = try #require(prepared.touchUp)
        print(t.summary, "pulses per cell touched \(t.pulsesPerCellTouched)")
        // The same board minutes later: the first read of the touch-up finds about the pairs the
        // untouched preparation found (read noise moves a few across the threshold).
        #expect(abs(t.pairsBefore - drifted) <= max(3, drifted / 10), "\(t.pairsBefore) vs \(drifted)")
        #expect(prepared.defects.count == t.pairsAfter)
        // Stuck cells and cells out of pulses stay; relaxation is what the touch-up takes back,
        // and most drifted pairs are relaxation alone: at least half of them come back.
        #expect(t.pairsAfter * 2 <= t.pairsBefore, "\(t.pairsAfter) of \(t.pairsBefore) left")

        // Only cells of drifted pairs: the cells given are both cells of the pairs the
        // untouched preparation found drifted, bar the few read noise moves.
        let given = Set(t.cells.flatMap { tile, cells in cells.map { Int(tile) * 1_000_000 + $0 } })
        let driftedCells = Set(untouched.defects.cells.flatMap { tile, cells in cells.map { Int(tile) * 1_000_000 + $0 } })
        #expect(given.count == t.cellsTouched && given.count <= 2 * t.pairsBefore)
        #expect(Double(given.intersection(driftedCells).count) >= 0.9 * Double(given.count))
        // Every pulse the board counted is in the run's journal, and every journalled pulse hit a
        // cell given to the touch-up; outcomes are recorded for exactly those cells.
        var journalled = 0
        for entry in try store.journal(run: run) {
            guard case .pulseBatch(let tile, _, _, _, let pulses) = entry.operation else { continue }
            journalled += pulses.count
            for p in pulses {
                #expect(given.contains(tile * 1_000_000 + p.row * 64 + p.column), "pulse on tile \(tile) (\(p.row), \(p.column)) outside the drifted pairs")
            }
        }
        #expect(journalled == t.pulses && UInt64(t.pulses) == board.pulsesApplied - start && t.boardPulses == UInt64(t.pulses))
        #expect(t.pulses > 0 && t.cellsPulsed <= t.cellsTouched)
        let outcomes = try store.outcomes(run: run)
        #expect(Set(outcomes.map { $0.tile * 1_000_000 + $0.row * 64 + $0.column }) == given)
        #expect(outcomes.reduce(0) { $0 + $1.pulses } == t.pulses)
        #expect(try store.shadowMap(run: run).tiles.isEmpty, "a touch-up saves no shadow map: the twin is built from the programming run")
        #expect(t.boardSeconds > 0)
    }
}
