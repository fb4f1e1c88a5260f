import Foundation
import XbarBoard
import XbarStore
import XbarWire

/// Reads chosen cells at log-spaced times after programming them to mid-range: the data a
/// relaxation fit needs (``RetentionFit``).
///
/// Up to `boardTimedSeconds` after programming the waits are timed by the board's clock
/// (read trains, ``XbarBoard/Board/settle(seconds:referenceCell:readVolts:sliceSeconds:readsPerTrain:)``),
/// so the early, closely spaced reads land where they are due; later ones wait on the host,
/// which is good to a second over hours and lets a run be stopped and resumed.
public final class RetentionJob {
    public let board: any Board
    public let tile: UInt8
    public let cells: [CellIndex]
    public let schedule: RetentionSchedule
    public let boardTimedSeconds: Double
    public let readVolts: Double
    public let averages: Int
    /// Called with the points read so far and how many there are.
    public var onPoint: ((Int, Int) -> Void)?
    public var shouldStop: (() -> Bool)?
    /// Host waits; replaced in tests.
    public var sleep: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }

    public init(board: any Board, tile: UInt8, cells: [CellIndex], schedule: RetentionSchedule, boardTimedSeconds: Double,
                readVolts: Double, averages: Int) {
        self.board = board
        self.tile = tile
        self.cells = cells
        self.schedule = schedule
        self.boardTimedSeconds = boardTimedSeconds
        self.readVolts = readVolts
        self.averages = averages
    }

    /// Programs the cells to about mid-range with `preparation` (per cell, in one or more
    /// PULSE_BATCH requests) and returns the board time the last pulse ended, nanoseconds.
    public func prepare(_ preparation: [ModulePulse], scheme: BiasScheme, maxPulsesPerBatch: Int) throws -> UInt64 {
        var end: UInt64 = 0
        for batch in pulseBatches(tile: tile, scheme: scheme, cells.map { ($0, preparation) }, maxPulses: maxPulsesPerBatch) {
            end = try board.pulseBatch(batch).boardTimeNanoseconds
        }
        return end
    }

    /// Reads every scheduled point after `after` seconds; `record` gets each point's series as
    /// it is read. Times are the board's since `programmedAtBoardNanoseconds` when given, else
    /// the host's since `programmedAt` (a resumed run, whose board clock may have restarted).
    public func measure(after: Double = -1, programmedAtBoardNanoseconds: UInt64?, programmedAt: Date,
                        record: ([CellSeries]) throws -> Void) throws {
        let selection = CellSet.list(tile: tile, cells)
        let times = schedule.times
        let due = times.filter { $0 > after }
        var done = times.count - due.count
        onPoint?(done, times.count)
        func elapsed(_ boardNanoseconds: UInt64) -> Double {
            if let start = programmedAtBoardNanoseconds {
                return Double(Int64(bitPattern: boardNanoseconds &- start)) * 1e-9
            }
            return Date().timeIntervalSince(programmedAt)
        }
        var now = programmedAtBoardNanoseconds.map { _ in 0.0 } ?? Date().timeIntervalSince(programmedAt)
        for t in due {
            if shouldStop?() == true { throw JobInterrupted() }
            let wait = t - now
            if wait > 0 {
                if programmedAtBoardNanoseconds != nil && t <= boardTimedSeconds {
                    _ = try board.settle(seconds: wait, referenceCell: .cell(tile: tile, cells[0]), readVolts: readVolts)
                } else {
                    sleep(wait)
                }
            }
            let currents = try board.read(selection, readVolts: readVolts, averages: averages)
            now = elapsed(currents.boardTimeNanoseconds)
            try record(zip(cells, currents.amperes).map { cell, amperes in
                CellSeries(series: RetentionFit.series, tile: Int(tile), row: Int(cell.row), column: Int(cell.column),
                           x: [now], ySiemens: [Double(amperes) / readVolts])
            })
            done += 1
            onPoint?(done, times.count)
        }
    }
}
