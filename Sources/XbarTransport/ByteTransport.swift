/// A bidirectional byte stream to a board: a serial port, a USB bulk pipe, an in-memory pair.
///
/// A transport moves bytes and knows nothing of what they mean. Every call takes a deadline on
/// the continuous clock, so a dead board costs at most the caller's deadline, never a hang.
/// Reads and writes may run on different threads at once; `close()` may be called from any
/// thread and wakes any read or write in progress, which then throws `.disconnected`.
public protocol ByteTransport: AnyObject, Sendable, CustomStringConvertible {
    /// Writes all of `bytes`, in order.
    ///
    /// - Throws: `.timedOut` (with the count already written) when the deadline passes first;
    ///   `.disconnected` when the other end went away or the transport was closed; `.system`
    ///   for any other failure.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError)

    /// Returns the bytes available now, at most `maxBytes`, waiting until at least one byte
    /// arrives or the deadline passes. Never returns an empty array.
    ///
    /// - Throws: `.timedOut` when no byte arrived before the deadline; `.disconnected` when the
    ///   other end went away (end of file, hang-up, unplug) or the transport was closed;
    ///   `.system` for any other failure.
    func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8]

    /// Releases the port or device. Idempotent; wakes reads and writes in progress.
    func close()
}

extension ByteTransport {
    /// Writes all of `bytes` within `timeout` from now.
    public func write(_ bytes: [UInt8], timeout: Duration) throws(TransportError) {
        try write(bytes, deadline: .now + timeout)
    }

    /// Reads what is available, at most `maxBytes`, waiting at most `timeout` for the first byte.
    public func read(upTo maxBytes: Int, timeout: Duration) throws(TransportError) -> [UInt8] {
        try read(upTo: maxBytes, deadline: .now + timeout)
    }

    /// Writes all of `bytes` within `timeoutSeconds` seconds from now.
    public func write(_ bytes: [UInt8], timeoutSeconds: Double) throws(TransportError) {
        try write(bytes, deadline: .now + .seconds(max(0, timeoutSeconds)))
    }

    /// Reads what is available, at most `maxBytes`, waiting at most `timeoutSeconds` seconds for
    /// the first byte.
    public func read(upTo maxBytes: Int, timeoutSeconds: Double) throws(TransportError) -> [UInt8] {
        try read(upTo: maxBytes, deadline: .now + .seconds(max(0, timeoutSeconds)))
    }

    /// Reads exactly `count` bytes, or throws `.timedOut` when the deadline passes first.
    /// The bytes read before a timeout are lost to the caller; use it where a timeout ends the exchange.
    public func read(exactly count: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            do {
                bytes += try read(upTo: count - bytes.count, deadline: deadline)
            } catch .timedOut(let operation, _) {
                throw .timedOut(operation: operation, transferred: bytes.count)
            }
        }
        return bytes
    }
}

extension ContinuousClock.Instant {
    /// Milliseconds from now until this instant, rounded up so a wait never ends early,
    /// clamped to `0...Int32.max` (the range of `poll` and libusb timeouts).
    var millisecondsFromNow: Int32 {
        let remaining = ContinuousClock.now.duration(to: self)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}
