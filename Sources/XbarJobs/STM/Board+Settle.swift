import XbarBoard
import XbarWire

extension Board {
    /// Waits `seconds` on the board's own clock, by read trains without a pulse on one
    /// reference cell, in slices of at most `sliceSeconds` so no single request outlasts a
    /// transport's reply deadline, and at most `readsPerTrain` reads per train (within every
    /// instrument's read-train limit).
    ///
    /// Host sleeps do not advance a simulated board's clock and jitter on hardware; a
    /// board-timed wait does neither. The reads are returned so that the reference cell's
    /// history stays complete (reads of a state node disturb it slightly).
    ///
    /// - Throws: ``WaitLimitError`` before anything is sent when `seconds` is not a positive
    ///   wait ``WaitLimit`` accepts; ``BoardError`` from the read trains.
    public func settle(seconds: Double, referenceCell: CellSet, readVolts: Double,
                       sliceSeconds: Double = 0.25, readsPerTrain: Int = 1024) throws -> ReadTrainData {
        try WaitLimit.check(seconds: seconds, "settle time", positive: true)
        precondition(sliceSeconds > 0 && (1...Int(UInt16.max)).contains(readsPerTrain))
        // At most a week in quarter seconds: about 2.4 million reads, well inside Int.
        let reads = max(1, Int((seconds / sliceSeconds).rounded(.up)))
        let interval = Float(seconds / Double(reads))
        var data = ReadTrainData(timestampsNanoseconds: [], amperes: [])
        var remaining = reads
        while remaining > 0 {
            let count = min(remaining, readsPerTrain)
            let train = try readTrain(ReadTrain(cells: referenceCell, pulse: nil, readVolts: Float(readVolts),
                                                readCount: UInt16(count), intervalSeconds: interval))
            data.timestampsNanoseconds += train.timestampsNanoseconds
            data.amperes += train.amperes
            remaining -= count
        }
        return data
    }
}
