import XbarWire

/// A board reached over a link with sequence numbers and a reply cache: what a job needs to
/// settle an operation whose reply it never saw.
///
/// A job logs the number a request will carry (``upcomingSequence``) before sending it. If the
/// job dies before the reply, a later job sends the same request under the same number
/// (``resend(_:sequence:)``): a board of the same session answers from its reply cache if it
/// executed the request and executes it if it never arrived, so the request runs exactly once.
public protocol SequencedBoard: Board {
    /// The sequence number the next new request will carry.
    var upcomingSequence: UInt16 { get }
    /// The board's session id as it reported it when the link opened; nil for a board that
    /// reports none.
    var sessionID: UInt64? { get }
    /// Sends `request` again under `sequence`, a number it was sent under before, with the
    /// retry flag. A number at or ahead of ``upcomingSequence`` counts as used from then on.
    ///
    /// - Throws: ``BoardError`` as ``Board/perform(_:)``; `.fault` with `staleSequence` when the
    ///   board no longer holds that number (it fell out of the window, or lies behind a RESET).
    func resend(_ request: Request, sequence: UInt16) throws(BoardError) -> Reply
}
