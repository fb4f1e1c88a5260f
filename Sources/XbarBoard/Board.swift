import XbarTransport
import XbarWire

/// A memristor test board: a physical one behind a transport, or a simulated one.
///
/// Every lab job talks to a `Board` and nothing else, so the same job runs on hardware,
/// on the board emulator over a real serial or USB device, and on the in-process model.
/// Boards are not thread-safe: one job drives one board at a time.
public protocol Board: AnyObject {
    /// Carries out one request and returns its reply.
    ///
    /// - Throws: ``BoardError``: `.fault` when the board refused or stopped the operation
    ///   (a FAULT reply, or the host's own limit check), `.timeout` or `.transport` when no
    ///   valid reply came (``BoardError/isBoardLost`` tells a lost board from a bad request).
    func perform(_ request: Request) throws(BoardError) -> Reply

    /// Where results come from, for run records: "simulated", "serial:/dev/ttyUSB0", ...
    var backendDescription: String { get }
}

/// Why a board operation failed.
///
/// The cases keep what a job needs to decide: ``isBoardLost`` is true when the board can no
/// longer be reached (a job may continue on a stand-in), false when the request itself was
/// refused (a job must not retry it elsewhere: it would be refused there too).
public enum BoardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The board answered with a FAULT reply, or the host refused the request before sending
    /// it (limits are checked on both sides).
    case fault(BoardFault)
    /// No valid reply within `seconds` (the wait for one attempt) on any of `attempts` sends.
    case timeout(operation: String, seconds: Double, attempts: Int)
    /// The link failed while `operation` was under way on `board`; the transport's own error
    /// says how (disconnected, timed out, in use, not found, a system error).
    case transport(board: String, operation: String, TransportError)
    /// The last send of a request, and `attempts` sends in all, drew a FAULT saying the frame
    /// arrived damaged (`fault` is the last one): the request never ran, and the link corrupts
    /// what it carries.
    case damagedFrames(operation: String, fault: BoardFault, attempts: Int)
    /// The reply was not the kind the request expects.
    case unexpectedReply(operation: String, reply: String)
    /// The board is not the one the instrument file describes.
    case identityMismatch(String)

    /// Whether the board is gone for this job: disconnected, silent after every retry, a link
    /// that damages every frame, or a board reporting an internal failure. False for a request
    /// the board (or the host) refused: a limit, a bad argument, a busy board, an unsupported
    /// operation.
    public var isBoardLost: Bool {
        switch self {
        case .timeout, .damagedFrames:
            return true
        case .fault(let f):
            return f.code == .internalError
        case .transport(_, _, let error):
            switch error {
            case .disconnected, .timedOut, .system: return true
            case .inUse, .notFound, .invalidConfiguration: return false
            }
        case .unexpectedReply, .identityMismatch:
            return false
        }
    }

    public var description: String {
        switch self {
        case .fault(let f): return "board fault: \(f)"
        case let .timeout(op, s, n): return "no reply to \(op) within \(s) s per attempt (\(n) attempts)"
        case let .transport(board, op, error): return "\(board): \(op): link failed: \(error)"
        case let .damagedFrames(op, f, n): return "\(op): \(n) attempts arrived damaged, the last one too (\(f))"
        case let .unexpectedReply(op, r): return "unexpected reply to \(op): \(r)"
        case .identityMismatch(let m): return "board does not match the instrument: \(m)"
        }
    }
}
