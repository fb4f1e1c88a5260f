import Foundation
import Testing
import XbarBoard
import XbarInstrument
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

    /// One number per cell of the board: tile, row-major index.
    static func key(_ tile: Int, p: Int) -> Int { tile * 1_000_000 + p }
    static func keys(_ cells: [UInt8: [Int]]) -> Set<Int> {
        var out = Set<Int>()
        for (tile, list) in cells { for p in list { out.insert(key(Int(tile), p: p)) } }
        return out
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

        let folder = try Python.temporaryFolder()
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
        // and nearly every drifted pair is relaxation alone (measured: 84 of 823 left, about the
        // pairs holding one of the 0.5 % stuck cells): at most a fifth stay.
        #expect(t.pairsAfter * 5 <= t.pairsBefore, "\(t.pairsAfter) of \(t.pairsBefore) left")

        // Only cells of drifted pairs: the cells given are both cells of the pairs the
        // untouched preparation found drifted, bar the few read noise moves.
        let given = Self.keys(t.cells)
        let driftedCells = Self.keys(untouched.defects.cells)
        #expect(given.count == t.cellsTouched && given.count <= 2 * t.pairsBefore)
        #expect(Double(given.intersection(driftedCells).count) >= 0.9 * Double(given.count))
        // Every pulse the board counted is in the run's journal, and every journalled pulse hit a
        // cell given to the touch-up; outcomes are recorded for exactly those cells.
        var journalled = 0
        for entry in try store.journal(run: run) {
            guard case .pulseBatch(let tile, _, _, _, let pulses) = entry.operation else { continue }
            journalled += pulses.count
            let outside = pulses.filter { !given.contains(Self.key(tile, p: $0.row * 64 + $0.column)) }
            #expect(outside.isEmpty, "pulses on tile \(tile) outside the drifted pairs: \(outside.count)")
        }
        let counted = board.pulsesApplied - start
        #expect(journalled == t.pulses)
        #expect(UInt64(t.pulses) == counted)
        #expect(t.boardPulses == counted)
        #expect(t.pulses > 0 && t.cellsPulsed <= t.cellsTouched)
        let outcomes = try store.outcomes(run: run)
        let recorded = Set(outcomes.map { Self.key($0.tile, p: $0.row * 64 + $0.column) })
        #expect(recorded == given)
        #expect(outcomes.reduce(0) { $0 + $1.pulses } == t.pulses)
        #expect(try store.shadowMap(run: run).tiles.isEmpty, "a touch-up saves no shadow map: the twin is built from the programming run")
        #expect(t.boardSeconds > 0)
    }
}
