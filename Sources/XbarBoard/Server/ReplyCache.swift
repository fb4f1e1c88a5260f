/// The board side of exactly-once delivery: the encoded replies of the most recent requests,
/// by sequence number.
///
/// A pulse is not idempotent, so a request whose reply was lost must not run again when the
/// host retries it with the same sequence number: the cached reply is sent instead. A sequence
/// number older than the window can no longer be told apart from a new request and is refused
/// as stale, never executed.
public struct ReplyCache: Sendable {
    /// What to do with an incoming request's sequence number.
    public enum Verdict: Equatable, Sendable {
        /// Never seen: execute it and ``store(_:for:)`` the reply.
        case execute
        /// Seen: send these bytes again, do not execute.
        case replay([UInt8])
        /// Older than the window and not cached: refuse without executing.
        case stale
    }

    /// How many replies are kept.
    public let depth: Int
    private var replies: [UInt16: [UInt8]] = [:]
    private var order: [UInt16] = []
    private var newest: UInt16?

    public init(depth: Int) {
        precondition(depth > 0 && depth < 32768, "reply cache depth must be in 1...32767")
        self.depth = depth
    }

    /// Classifies a request's sequence number.
    ///
    /// Sequence numbers wrap modulo 2^16; one counts as older than the newest when it lies
    /// less than half the number space behind it.
    public func verdict(for sequence: UInt16) -> Verdict {
        if let bytes = replies[sequence] { return .replay(bytes) }
        guard let newest else { return .execute }
        let behind = newest &- sequence
        if behind != 0 && behind < 0x8000 && Int(behind) >= depth { return .stale }
        return .execute
    }

    /// Remembers the reply to an executed request, evicting the oldest beyond the depth.
    public mutating func store(_ reply: [UInt8], for sequence: UInt16) {
        if replies.updateValue(reply, forKey: sequence) == nil { order.append(sequence) }
        if let n = newest {
            let ahead = sequence &- n
            if ahead != 0 && ahead < 0x8000 { newest = sequence }
        } else {
            newest = sequence
        }
        while order.count > depth { replies[order.removeFirst()] = nil }
    }

    /// The sequence number a host should use for its next new request (STATUS reports it).
    public var nextSequence: UInt16 { newest.map { $0 &+ 1 } ?? 0 }

    /// Forgets everything (RESET).
    public mutating func clear() {
        replies = [:]
        order = []
        newest = nil
    }
}
