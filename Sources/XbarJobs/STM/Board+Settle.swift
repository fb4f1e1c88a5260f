import XbarBoard
import XbarWire

extension Board {
    /// Waits `seconds` on the board's own clock, by a read train without a pulse on one
    /// reference cell, in slices of at most `sliceSeconds` so no single request outlasts a
    /// transport's reply deadline.
    ///
    /// Host sleeps do not advance a simulated board's clock and jitter on hardware; a
    /// board-timed wait does neither. The reads are returned so that the reference cell's
    /// history stays complete (reads of a state node disturb it slightly).
    ///
    /// - Throws: ``BoardError`` from the read trains.
    public func settle(seconds: Double, referenceCell: CellSet, readVolts: Double,
                       sliceSeconds: Double = 0.25) throws -> ReadTrainData {
        precondition(seconds > 0 && sliceSeconds > 0)
        let reads = max(1, Int((seconds / sliceSeconds).rounded(.up)))
        return try readTrain(ReadTrain(cells: referenceCell, pulse: nil, readVolts: Float(readVolts),
                                       readCount: UInt16(clamping: reads), intervalSeconds: Float(seconds / Double(reads))))
    }
}
