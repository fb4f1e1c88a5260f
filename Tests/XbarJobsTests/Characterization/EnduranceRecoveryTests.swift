import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

@Suite("endurance on the simulated board")
struct EnduranceRecoveryTests {
    /// usb-4x64 cut to one 4x8 weight tile, its cells lasting a median 1e5 cycles (the low end of
    /// the realistic 1e5-1e9) so that every cell fails within a debug-build test.
    func bench(median: Double = 1e5) throws -> (Instrument, SimulatedBoard) {
        var instrument = try SimulatedProgramming(rows: 4, columns: 8).instrument
        instrument.device.nonVolatile.wear?.enduranceMedianCycles = median
        return (instrument, SimulatedBoard(instrument: instrument, seed: 11))
    }

    func run(_ board: SimulatedBoard, _ instrument: Instrument, cells: [CellIndex], cycles: Int, readEvery: Int) throws -> EnduranceAnalysis {
        let pair = try instrument.device.nonVolatile.switchingPair(limits: instrument.limits)
        let job = EnduranceJob(board: board, tile: 0, cells: cells, set: pair.set, reset: pair.reset, cycles: cycles, readEvery: readEvery,
                               readVolts: instrument.defaultReadVolts, averages: 16, scheme: .grounded, failureWindowFraction: 0.25,
                               maxPulsesPerBatch: ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)))
        var series: [CellSeries] = []
        try job.run { series += $0 }
        return EnduranceAnalysis(series, failureWindowFraction: 0.25)
    }

    @Test("endurance recovers the median of the cells' drawn failure cycles within 20 %, and the window narrows before they fail")
    func recoversMedianFailure() throws {
        let (instrument, board) = try bench()
        var cells: [CellIndex] = []
        for k in 0..<32 where !board.isStuck(tile: 0, row: k / 8, column: k % 8) {
            cells.append(CellIndex(row: UInt16(k / 8), column: UInt16(k % 8)))
        }
        // Reads every 2 % of the median: the failure cycle is placed to within 1 % of it.
        let analysis = try run(board, instrument, cells: cells, cycles: 2_000_000, readEvery: 2_000)
        let drawn = cells.map { board.endurance(tile: 0, row: Int($0.row), column: Int($0.column))!.failureCycles }.sorted()
        let drawnMedian = (drawn[(drawn.count - 1) / 2] + drawn[drawn.count / 2]) / 2
        let measured = try #require(analysis.medianFailureCycle)
        #expect(analysis.cells.count == cells.count)
        #expect(analysis.cells.allSatisfy { $0.failureCycle != nil }, "every cell fails within 20 medians")
        #expect(abs(measured / drawnMedian - 1) < 0.2, "measured \(measured), drawn \(drawnMedian)")
        // The population median is 1e5; 32 lognormal draws of sigma 0.6 put their median
        // within about 13 % of it (one sigma), so 40 % is three sigmas.
        #expect(abs(measured / 1e5 - 1) < 0.4, "measured \(measured)")
        // Per cell too: each failure lies within two read intervals of its drawn cycle (one for
        // the reads' spacing, one more when a narrow swing of the healthy cell happened to
        // precede the failure).
        for cell in analysis.cells {
            let truth = board.endurance(tile: 0, row: cell.row, column: cell.column)!.failureCycles
            #expect(abs(cell.failureCycle! - truth) <= 4_000, "cell \(cell.row),\(cell.column): \(cell.failureCycle!) vs \(truth)")
        }
        // The model's window loses 40 % x (n/N)^2 before failure: over the last fifth of their
        // lives the cells' windows have lost 26-40 % against their first fifth (less near the
        // start); summed over all cells the cycle-to-cycle noise of single swings averages out.
        var early = 0.0, late = 0.0
        for cell in analysis.cells {
            let failure = cell.failureCycle!
            for (n, w) in zip(cell.cycles, cell.windowSiemens) where n < failure {
                if n < 0.2 * failure { early += w } else if n >= 0.8 * failure { late += w }
            }
        }
        #expect(late / early < 0.85, "late over early window sums \(late / early)")
    }

    @Test("a cell past its failure cycle is stuck, and cycling it a million times in one batch takes what a few dozen cycles take")
    func cyclesAreCounted() throws {
        let (instrument, board) = try bench(median: 1e6)
        let cell = CellIndex(row: 1, column: 1)
        let truth = try #require(board.endurance(tile: 0, row: 1, column: 1))
        let pair = try instrument.device.nonVolatile.switchingPair(limits: instrument.limits)
        // Batches of 2730 cycles, the most a 64 KiB frame carries: the board counts them all.
        let perBatch = ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: Int(Instrument.maxPayloadBytes)) / 2
        let pulses = Array(repeating: [CellPulse(cell: cell, amplitudeVolts: Float(pair.set.volts), widthSeconds: Float(pair.set.seconds)),
                                       CellPulse(cell: cell, amplitudeVolts: Float(pair.reset.volts), widthSeconds: Float(pair.reset.seconds))],
                           count: perBatch).flatMap { $0 }
        let batches = Int((truth.failureCycles * 1.01 / Double(perBatch)).rounded(.up))
        let started = ContinuousClock.now
        for _ in 0..<batches {
            _ = try board.pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: pulses))
        }
        let cycled = try #require(board.endurance(tile: 0, row: 1, column: 1))
        #expect(cycled.cycles == truth.failureCycles.rounded(.up) || cycled.cycles == truth.failureCycles)
        #expect(board.isStuck(tile: 0, row: 1, column: 1))
        // Board time counts every pulse: 2 x (1 us + 0.1 us gap) per cycle.
        let expected = Double(batches * perBatch) * 2 * 1.1e-6
        #expect(abs(Double(board.boardTimeNanoseconds) * 1e-9 / expected - 1) < 0.01)
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}
