import Foundation
import Glibc

/// Deadline-bounded reads and writes on a non-blocking file descriptor (a tty, a PTY master),
/// shared by the termios serial port and the pseudo-terminal.
///
/// `close()` must be able to interrupt a `poll` running on another thread, and must not close the
/// descriptor under it (the number could be reused by an unrelated open). So every operation
/// registers itself, polls a wake pipe beside the descriptor, and `close()` writes the pipe and
/// waits for registered operations to leave before closing anything.
final class DescriptorStream: @unchecked Sendable {
    /// Names the port in messages, e.g. "/dev/pts/3".
    let name: String
    private let fd: Int32
    private let wakeReader: Int32
    private let wakeWriter: Int32
    private let beforeClose: @Sendable (Int32) -> Void
    private let gate = OperationGate(closedReason: "the port was closed on this side")

    /// Takes ownership of `fd` and makes it non-blocking. `beforeClose` runs once, just before the
    /// descriptor is closed (to drop a lock, remove a link).
    init(fd: Int32, name: String, beforeClose: @escaping @Sendable (Int32) -> Void = { _ in })
        throws(TransportError)
    {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .system(.posix(code, "create a wake pipe for \(name)"))
        }
        for end in pipeEnds + [fd] {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        self.fd = fd
        self.name = name
        self.wakeReader = pipeEnds[0]
        self.wakeWriter = pipeEnds[1]
        self.beforeClose = beforeClose
    }

    deinit { close() }

    /// Runs `body` with the descriptor unless the stream is closed, and keeps `close()` from
    /// closing it meanwhile.
    private func withDescriptor<T>(_ operation: String, _ body: (Int32) throws(TransportError) -> T)
        throws(TransportError) -> T
    {
        try gate.run(operation) { () throws(TransportError) in try body(fd) }
    }

    /// Waits until `fd` is ready for `events`, the deadline passes (returns false), or `close()`
    /// is called (throws `.disconnected`). Returns true when ready; hang-up counts as ready so the
    /// following read or write reports it.
    private func wait(for events: Int16, deadline: ContinuousClock.Instant, operation: String)
        throws(TransportError) -> Bool
    {
        while true {
            var fds = [pollfd(fd: fd, events: events, revents: 0),
                       pollfd(fd: wakeReader, events: Int16(POLLIN), revents: 0)]
            let timeout = deadline.millisecondsFromNow
            let ready = poll(&fds, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system(.posix(errno, operation))
            }
            if fds[1].revents != 0 {
                throw gate.closedError(operation)
            }
            if fds[0].revents & Int16(POLLNVAL) != 0 {
                throw .disconnected(operation: operation, reason: "the descriptor is no longer valid", cause: nil)
            }
            if fds[0].revents != 0 { return true }
            if ContinuousClock.now >= deadline { return false }
        }
    }

    /// Reads what is available, at most `maxBytes`, waiting for the first byte until the deadline.
    func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        precondition(maxBytes > 0, "read(upTo:) needs room for at least one byte")
        let operation = "read from \(name)"
        return try withDescriptor(operation) { fd throws(TransportError) in
            var buffer = [UInt8](repeating: 0, count: maxBytes)
            var sawHangUp = false
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maxBytes) }
                if count > 0 { return Array(buffer[..<count]) }
                if count == 0 {
                    throw .disconnected(operation: operation, reason: "end of file", cause: nil)
                }
                let code = errno
                switch code {
                case EINTR:
                    continue
                case EAGAIN:
                    if sawHangUp {
                        throw .disconnected(operation: operation, reason: "hang-up", cause: nil)
                    }
                    guard try wait(for: Int16(POLLIN), deadline: deadline, operation: operation) else {
                        throw .timedOut(operation: operation, transferred: 0)
                    }
                    sawHangUp = pollReportsHangUp(fd)
                default:
                    throw .posix(code, operation)
                }
            }
        }
    }

    /// Writes all of `bytes` before the deadline.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        let operation = "write to \(name)"
        try withDescriptor(operation) { fd throws(TransportError) in
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes {
                    Glibc.write(fd, $0.baseAddress! + written, bytes.count - written)
                }
                if count >= 0 {
                    written += count
                    continue
                }
                let code = errno
                switch code {
                case EINTR:
                    continue
                case EAGAIN:
                    guard try wait(for: Int16(POLLOUT), deadline: deadline, operation: operation) else {
                        throw .timedOut(operation: operation, transferred: written)
                    }
                default:
                    throw .posix(code, operation)
                }
            }
        }
    }

    /// Closes the descriptor once no operation uses it; wakes operations waiting in `poll`.
    func close() {
        let wakeWriter = self.wakeWriter
        guard gate.close(waking: {
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWriter, &byte, 1)
        }) else { return }
        beforeClose(fd)
        Glibc.close(fd)
        Glibc.close(wakeReader)
        Glibc.close(wakeWriter)
    }

    /// The descriptor, for configuration calls (`tcsetattr`, `ioctl`) made while it is open.
    func withConfigurableDescriptor<T>(_ operation: String, _ body: (Int32) throws(TransportError) -> T)
        throws(TransportError) -> T
    {
        try withDescriptor(operation, body)
    }
}

/// True when the descriptor reports hang-up or error with no data waiting.
func pollReportsHangUp(_ fd: Int32) -> Bool {
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&descriptor, 1, 0) == 1 else { return false }
    let hangUp = descriptor.revents & Int16(POLLHUP | POLLERR) != 0
    return hangUp && descriptor.revents & Int16(POLLIN) == 0
}
