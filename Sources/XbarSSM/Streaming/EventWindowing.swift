/// Cuts a stream of events, arriving one by one, into fixed windows of stream time; each
/// window becomes a sample (its events' times counted from the window's start) once it closes.
///
/// Window `k` spans `[k w, (k + 1) w)` seconds of stream time. It closes when an event at or
/// after its end arrives, when the stream's clock passes its end (``close(before:)``), or when
/// the stream ends; a window without events produces nothing.
public struct EventWindowing: Sendable {
    /// One closed window.
    public struct Window: Sendable, Hashable {
        public var index: Int
        /// Stream time of the window's start, seconds.
        public var startSeconds: Double
        /// The window's events, times from its start.
        public var events: [Event]
        /// Stream time of its last event, seconds.
        public var lastEventSeconds: Double
    }

    public let windowSeconds: Double
    private var current: Int?
    private var events: [Event] = []
    private var last = 0.0
    private var previous = -Double.infinity

    /// - Precondition: `windowSeconds > 0`.
    public init(windowSeconds: Double) {
        precondition(windowSeconds > 0 && windowSeconds.isFinite, "a window lasts a positive number of seconds")
        self.windowSeconds = windowSeconds
    }

    /// Takes an event at stream time `seconds`; returns the window it closed, if any.
    ///
    /// - Throws: ``EventStreamError`` when the time is negative, not finite, or earlier than
    ///   the previous event's.
    public mutating func add(channel: Int, polarity: Int, atSeconds seconds: Double) throws(EventStreamError) -> Window? {
        guard seconds.isFinite, seconds >= 0 else { throw .badTime("event time \(seconds) s is not a finite, non-negative number of seconds") }
        guard seconds >= previous else { throw .badTime("event time \(seconds) s is earlier than the previous event's \(previous) s; a stream is in time order") }
        // A window number beyond Int (an event at 1e300 s) is a bad time, not a crash.
        guard let index = Int(exactly: (seconds / windowSeconds).rounded(.down)), index < Int.max else {
            throw .badTime("event time \(seconds) s is \((seconds / windowSeconds).rounded(.down)) windows of \(windowSeconds) s into the stream, beyond what can be counted")
        }
        previous = seconds
        var closed: Window?
        if let k = current, k != index { closed = flush() }
        if current == nil { current = index }
        events.append(Event(timeSeconds: seconds - Double(index) * windowSeconds, channel: channel, polarity: polarity))
        last = seconds
        return closed
    }

    /// Closes the open window when stream time `seconds` has passed its end.
    public mutating func close(before seconds: Double) -> Window? {
        guard let k = current, seconds >= Double(k + 1) * windowSeconds else { return nil }
        return flush()
    }

    /// Closes the open window at the end of the stream.
    public mutating func finish() -> Window? { flush() }

    private mutating func flush() -> Window? {
        defer { current = nil; events = [] }
        guard let k = current, !events.isEmpty else { return nil }
        return Window(index: k, startSeconds: Double(k) * windowSeconds, events: events, lastEventSeconds: last)
    }
}

/// An event stream that cannot be taken.
public enum EventStreamError: Error, Hashable, Sendable, CustomStringConvertible {
    case badTime(String)
    case badLine(line: Int, String)

    public var description: String {
        switch self {
        case .badTime(let m): return m
        case let .badLine(n, m): return "line \(n): \(m)"
        }
    }
}
