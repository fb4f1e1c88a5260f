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
    /// Waits `seconds` on the host in slices of at most a quarter second, so that a stop asked
    /// for during an hour's wait ends the run at once.
    func sleep(_ seconds: Double) throws {
        let end = Date().addingTimeInterval(seconds)
        while true {
            if shouldStop?() == true { throw JobInterrupted() }
            let left = end.timeIntervalSinceNow
            guard left > 0 else { return }
            Thread.sleep(forTimeInterval: min(left, 0.25))
        }
    }

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
    /// it is read. A board-timed point's time is the board's since `programmedAtBoardNanoseconds`;
    /// a host-timed one's (and every point of a resumed run, whose board clock may have
    /// restarted: `programmedAtBoardNanoseconds` nil) the host's since `programmedAt`.
    public func measure(after: Double = -1, programmedAtBoardNanoseconds: UInt64?, programmedAt: Date,
                        record: ([CellSeries]) throws -> Void) throws {
        let selection = CellSet.list(tile: tile, cells)
        let times = schedule.times
        let due = times.filter { $0 > after }
        var done = times.count - due.count
        onPoint?(done, times.count)
        var boardNow = 0.0
        for t in due {
            if shouldStop?() == true { throw JobInterrupted() }
            let boardTimed = programmedAtBoardNanoseconds != nil && t <= boardTimedSeconds
            if boardTimed {
                if t > boardNow {
                    _ = try board.settle(seconds: t - boardNow, referenceCell: .cell(tile: tile, cells[0]), readVolts: readVolts)
                }
            } else {
                let wait = t - Date().timeIntervalSince(programmedAt)
                if wait > 0 { try sleep(wait) }
            }
            let currents = try board.read(selection, readVolts: readVolts, averages: averages)
            if let start = programmedAtBoardNanoseconds {
                boardNow = Double(Int64(bitPattern: currents.boardTimeNanoseconds &- start)) * 1e-9
            }
            let x = boardTimed ? boardNow : Date().timeIntervalSince(programmedAt)
            try record(zip(cells, currents.amperes).map { cell, amperes in
                CellSeries(series: RetentionFit.series, tile: Int(tile), row: Int(cell.row), column: Int(cell.column),
                           x: [x], ySiemens: [Double(amperes) / readVolts])
            })
            done += 1
            onPoint?(done, times.count)
        }
    }
}
