/// The board side of exactly-once delivery: the encoded replies of the most recent requests,
/// by sequence number.
///
/// A pulse is not idempotent, so a request whose reply was lost must not run again when the
/// host retries it with the same sequence number: the cached reply is sent instead. Only a
/// number strictly ahead of the newest, by at most 32 767, is new; any other number the cache
/// does not hold is refused as stale, never executed: one older than the window can no longer
/// be told apart from an old request, and one behind a RESET belongs to before it.
public struct ReplyCache: Sendable {
    /// What to do with an incoming request's sequence number.
    public enum Verdict: Equatable, Sendable {
        /// Never seen: execute it and ``store(_:for:)`` the reply.
        case execute
        /// Seen: send these bytes again, do not execute.
        case replay([UInt8])
        /// Not cached and not ahead of the newest (older than the window, behind the RESET that
        /// emptied the cache, or exactly half the number space away): refuse without executing.
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
    /// Sequence numbers wrap modulo 2^16: a number is new when it lies 1 to 32 767 ahead of the
    /// newest; one 1 to 32 768 behind it (the half-way number counts as behind, so that every
    /// number has exactly one reading) is either cached or stale. An empty cache (power-up)
    /// takes any number as new.
    public func verdict(for sequence: UInt16) -> Verdict {
        if let bytes = replies[sequence] { return .replay(bytes) }
        guard let newest else { return .execute }
        return Self.isAhead(sequence, of: newest) ? .execute : .stale
    }

    /// Whether `sequence` lies 1 to 32 767 ahead of `reference`, modulo 2^16.
    static func isAhead(_ sequence: UInt16, of reference: UInt16) -> Bool {
        let ahead = sequence &- reference
        return ahead != 0 && ahead < 0x8000
    }

    /// Remembers the reply to an executed request, evicting the oldest beyond the depth.
    public mutating func store(_ reply: [UInt8], for sequence: UInt16) {
        if replies.updateValue(reply, forKey: sequence) == nil { order.append(sequence) }
        if let n = newest {
            if Self.isAhead(sequence, of: n) { newest = sequence }
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
