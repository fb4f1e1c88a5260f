import Foundation
import XbarBoard
import XbarStore
import XbarWire

/// SET/RESET cycles on chosen cells, the board timing every pulse (PULSE_BATCH), with the on
/// and off states read every `readEvery` cycles: the on/off window against cycles, and the
/// cycle each cell failed at (``EnduranceAnalysis``).
///
/// A cell whose window has fallen below the failure fraction of its first at two reads in a
/// row is not cycled any further: its pulses would only cost wire time.
public final class EnduranceJob {
    public let board: any Board
    public let tile: UInt8
    public let cells: [CellIndex]
    public let set: ModulePulse
    public let reset: ModulePulse
    public let cycles: Int
    public let readEvery: Int
    public let readVolts: Double
    public let averages: Int
    public let scheme: BiasScheme
    public let failureWindowFraction: Double
    public let maxPulsesPerBatch: Int
    /// Called with the cycles done so far and the total.
    public var onCheckpoint: ((Int, Int) -> Void)?
    public var shouldStop: (() -> Bool)?

    public init(board: any Board, tile: UInt8, cells: [CellIndex], set: ModulePulse, reset: ModulePulse, cycles: Int, readEvery: Int,
                readVolts: Double, averages: Int, scheme: BiasScheme, failureWindowFraction: Double, maxPulsesPerBatch: Int) {
        precondition(cycles >= 1 && readEvery >= 1 && !cells.isEmpty)
        self.board = board
        self.tile = tile
        self.cells = cells
        self.set = set
        self.reset = reset
        self.cycles = cycles
        self.readEvery = readEvery
        self.readVolts = readVolts
        self.averages = averages
        self.scheme = scheme
        self.failureWindowFraction = failureWindowFraction
        self.maxPulsesPerBatch = maxPulsesPerBatch
    }

    /// The cycle counts the states are read at: after the first cycle, then every `readEvery`, and the last.
    public var checkpoints: [Int] {
        var c = [1]
        var next = readEvery
        while next < cycles {
            if next > 1 { c.append(next) }
            next += readEvery
        }
        if c.last != cycles { c.append(cycles) }
        return c
    }

    /// Runs the cycles; `record` gets the on and off reads of every checkpoint as they are made.
    public func run(record: ([CellSeries]) throws -> Void) throws {
        var alive = cells
        var firstWindow: [CellIndex: Double] = [:]
        var lowReads: [CellIndex: Int] = [:]
        var done = 0
        onCheckpoint?(0, cycles)
        for checkpoint in checkpoints {
            if alive.isEmpty { break }
            if shouldStop?() == true { throw JobInterrupted() }
            // Every cycle up to the checkpoint but its RESET, so that the on state is read
            // after the checkpoint's SET and the off state after its RESET.
            let full = checkpoint - done - 1
            let lead = Array(repeating: [set, reset], count: full).flatMap { $0 } + [set]
            for batch in pulseBatches(tile: tile, scheme: scheme, alive.map { ($0, lead) }, maxPulses: maxPulsesPerBatch) {
                _ = try board.pulseBatch(batch)
            }
            let selection = CellSet.list(tile: tile, alive)
            let on = try board.readConductances(selection, readVolts: readVolts, averages: averages)
            for batch in pulseBatches(tile: tile, scheme: scheme, alive.map { ($0, [reset]) }, maxPulses: maxPulsesPerBatch) {
                _ = try board.pulseBatch(batch)
            }
            let off = try board.readConductances(selection, readVolts: readVolts, averages: averages)
            done = checkpoint
            var series: [CellSeries] = []
            var still: [CellIndex] = []
            for (k, cell) in alive.enumerated() {
                series.append(CellSeries(series: EnduranceAnalysis.onSeries, tile: Int(tile), row: Int(cell.row), column: Int(cell.column),
                                         x: [Double(checkpoint)], ySiemens: [on[k]]))
                series.append(CellSeries(series: EnduranceAnalysis.offSeries, tile: Int(tile), row: Int(cell.row), column: Int(cell.column),
                                         x: [Double(checkpoint)], ySiemens: [off[k]]))
                let window = on[k] - off[k]
                let first = firstWindow[cell] ?? window
                firstWindow[cell] = first
                // One narrow swing can be cycle-to-cycle noise; two in a row are a failure.
                lowReads[cell] = first > 0 && window >= failureWindowFraction * first ? 0 : lowReads[cell, default: 0] + 1
                if lowReads[cell]! < EnduranceAnalysis.confirmingReads { still.append(cell) }
            }
            try record(series)
            alive = still
            onCheckpoint?(done, cycles)
        }
    }
}
