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
    ///   (a FAULT reply), `.timeout` or `.transport` when no valid reply came.
    func perform(_ request: Request) throws -> Reply

    /// Where results come from, for run records: "simulated", "serial:/dev/ttyUSB0", ...
    var backendDescription: String { get }
}

/// Why a board operation failed.
public enum BoardError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The board answered with a FAULT reply.
    case fault(BoardFault)
    /// No valid reply within the deadline after every retry.
    case timeout(operation: String, seconds: Double, attempts: Int)
    /// The link to the board failed (closed, unplugged, I/O error).
    case transport(String)
    /// The reply was not the kind the request expects.
    case unexpectedReply(operation: String, reply: String)
    /// The board is not the one the instrument file describes.
    case identityMismatch(String)

    public var description: String {
        switch self {
        case .fault(let f): return "board fault: \(f)"
        case let .timeout(op, s, n): return "no reply to \(op) within \(s) s (\(n) attempts)"
        case .transport(let m): return "board link failed: \(m)"
        case let .unexpectedReply(op, r): return "unexpected reply to \(op): \(r)"
        case .identityMismatch(let m): return "board does not match the instrument: \(m)"
        }
    }
}
