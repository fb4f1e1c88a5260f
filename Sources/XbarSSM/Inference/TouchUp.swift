import XbarBoard
import XbarJobs

/// What refreshing a chip before inference did: the cells of the pairs that had drifted past
/// the defect threshold write-verified again to their targets, and the tiles read back again.
public struct TouchUp: Hashable, Sendable {
    /// Pairs beyond the defect threshold at the first read-back, and at the read-back after.
    public var pairsBefore: Int
    public var pairsAfter: Int
    /// The cells given to the job: both cells of each drifted pair, per tile index (row-major).
    public var cells: [UInt8: [Int]]
    /// Cells the job was given (both cells of each drifted pair), and those it pulsed: a cell
    /// its first read found within tolerance gets no pulse.
    public var cellsTouched: Int
    public var cellsPulsed: Int
    public var pulses: Int
    /// Board time from the job's first request to the end of the read-back after it, seconds,
    /// by the board's own clock (STATUS).
    public var boardSeconds: Double
    /// Pulses the board counted over the touch-up (STATUS); equals ``pulses`` unless something
    /// else pulsed the board meanwhile.
    public var boardPulses: UInt64

    public var pulsesPerCellTouched: Double { Double(pulses) / Double(max(cellsTouched, 1)) }

    /// The figures for people: cells, pulses, board time, pairs left.
    public var summary: String {
        "touch-up: \(cellsTouched) cells of \(pairsBefore) drifted pairs write-verified again (\(cellsPulsed) pulsed), "
            + "\(pulses) pulses, " + String(format: "%.2f s", boardSeconds) + " of board time; \(pairsAfter) pairs still corrected on the host"
    }

    init(pairsBefore: Int, pairsAfter: Int, cells: [UInt8: [Int]], reports: [TileReport], boardSeconds: Double, boardPulses: UInt64) {
        self.pairsBefore = pairsBefore
        self.cells = cells
        self.pairsAfter = pairsAfter
        cellsTouched = reports.reduce(0) { $0 + ($1.programmedCells?.count ?? $1.outcomes.count) }
        cellsPulsed = reports.reduce(0) { $0 + $1.pulses.filter { $0 > 0 }.count }
        pulses = reports.reduce(0) { $0 + $1.pulses.reduce(0, +) }
        self.boardSeconds = boardSeconds
        self.boardPulses = boardPulses
    }
}
