import XbarWire

/// A board whose long operations can be stopped part-way: a READ_TRAIN runs for
/// `readCount × intervalSeconds`, and ABORT (or RESET) arriving meanwhile ends it.
///
/// The board server uses it to keep listening to the link while a train runs.
public protocol StoppableBoard: Board {
    /// Carries out one request like ``Board/perform(_:)``.
    ///
    /// Before each read of a READ_TRAIN the board calls `stopRequested(seconds)`, with the time
    /// until that read is due (0 when the board does not keep pace with the wall clock); the
    /// closure may wait up to that long for a stop and returns true when one came.
    ///
    /// - Throws: ``BoardError/fault(_:)`` with `.aborted` when the train was stopped (reads
    ///   done so far are not returned; its pulse, if any, was applied), and everything
    ///   ``Board/perform(_:)`` throws.
    func perform(_ request: Request, stopRequested: (_ waitSeconds: Double) -> Bool) throws(BoardError) -> Reply
}
