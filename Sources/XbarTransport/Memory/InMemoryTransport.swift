import Foundation

/// One end of a connected pair of in-process byte streams, for tests of a board server and its
/// client without a device. Bytes written on one end are read on the other, in order.
///
/// Writes never wait (the buffer is unbounded). Reads wait on a condition variable until a byte
/// arrives, the deadline passes, or either end closes. After either end closes, reads on the
/// other end return what was still buffered and then throw `.disconnected`; writes throw
/// `.disconnected` at once.
public final class InMemoryTransport: ByteTransport, @unchecked Sendable {
    /// Shared by both ends: one lock, one buffer per direction.
    private final class Link: @unchecked Sendable {
        let condition = NSCondition()
        var buffers: [[UInt8]] = [[], []]
        var closed = false
    }

    private let link: Link
    /// Index of the buffer this end reads; the peer writes into it.
    private let side: Int
    private let name: String

    private init(link: Link, side: Int, name: String) {
        self.link = link
        self.side = side
        self.name = name
    }

    /// Two connected ends, named "`name` A" and "`name` B" in messages.
    public static func pair(name: String = "in-memory link") -> (InMemoryTransport, InMemoryTransport) {
        let link = Link()
        return (InMemoryTransport(link: link, side: 0, name: "\(name) A"),
                InMemoryTransport(link: link, side: 1, name: "\(name) B"))
    }

    public var description: String { name }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        link.condition.lock()
        defer { link.condition.unlock() }
        guard !link.closed else {
            throw .disconnected(operation: "write to \(name)", reason: "the link was closed", cause: nil)
        }
        link.buffers[1 - side] += bytes
        link.condition.broadcast()
    }

    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        precondition(maxBytes > 0, "read(upTo:) needs room for at least one byte")
        link.condition.lock()
        defer { link.condition.unlock() }
        while link.buffers[side].isEmpty {
            if link.closed {
                throw .disconnected(operation: "read from \(name)", reason: "the link was closed", cause: nil)
            }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw .timedOut(operation: "read from \(name)", transferred: 0)
            }
            let (seconds, attoseconds) = remaining.components
            _ = link.condition.wait(
                until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) * 1e-18))
        }
        let count = min(maxBytes, link.buffers[side].count)
        let bytes = Array(link.buffers[side].prefix(count))
        link.buffers[side].removeFirst(count)
        return bytes
    }

    /// Closes both directions; the peer's reads drain what is buffered, then report `.disconnected`.
    public func close() {
        link.condition.lock()
        link.closed = true
        link.condition.broadcast()
        link.condition.unlock()
    }
}
