import CLibSerialPort
import Foundation
import Glibc

/// A real serial port (a UART, a USB serial adapter) opened and driven through libserialport.
///
/// Reads and writes wait in slices of at most `waitSlice` (100 ms), so `close()` from another
/// thread takes effect within one slice; libserialport offers no way to wake a blocked call. A
/// hung-up line (an unplugged adapter) is reported as `.disconnected` within one slice too.
/// Opening takes an exclusive `flock` on the device so a second opener gets `.inUse`, and the
/// descriptor is closed on exec, so a program started meanwhile cannot keep the port.
public final class SerialPort: ByteTransport, @unchecked Sendable {
    /// The path the port was opened with.
    public let path: String
    public let configuration: SerialConfiguration
    private let port: OpaquePointer
    /// libserialport's descriptor, valid until `close()`; polled to tell a hang-up from silence.
    private let descriptor: Int32
    private let gate = OperationGate(closedReason: "the port was closed on this side")
    private static let waitSlice: Duration = .milliseconds(100)

    /// Opens `path` read-write and applies the line settings, then reads them back.
    ///
    /// - Throws: `.notFound` when libserialport does not know the port (pseudo-terminals are not
    ///   known to it; use `SerialTransport.open`); `.inUse` when another open file holds it;
    ///   `.invalidConfiguration` naming the setting when the driver refuses it or applies
    ///   something else; `.system` otherwise.
    /// The corresponding C functions are `sp_get_port_by_name`, `sp_open`, `sp_set_baudrate`,
    /// `sp_set_bits`, `sp_set_parity`, `sp_set_stopbits`, `sp_set_flowcontrol`, `sp_get_config`.
    public init(path: String, configuration: SerialConfiguration) throws(TransportError) {
        try configuration.validate(for: path)
        var found: OpaquePointer?
        guard sp_get_port_by_name(path, &found) == SP_OK, let port = found else {
            throw .notFound(what: "serial port \(path)")
        }
        let opened = sp_open(port, SP_MODE_READ_WRITE)
        guard opened == SP_OK else {
            let osCode = sp_last_error_code()
            let error = TransportError.libserialport(opened, "open \(path)")
            sp_free_port(port)
            if opened == SP_ERR_FAIL && osCode == EBUSY {
                throw .inUse(path: path, holder: PortHolder.holding(path))
            }
            if opened == SP_ERR_FAIL && (osCode == ENOENT || osCode == ENODEV || osCode == ENXIO) {
                throw .notFound(what: "serial port \(path)")
            }
            throw error
        }
        var handle: Int32 = -1
        do throws(TransportError) {
            let found = sp_get_port_handle(port, &handle)
            guard found == SP_OK, handle >= 0 else {
                throw .system(.libserialport(found, "find the descriptor of \(path)"))
            }
            // libserialport opens without O_CLOEXEC: a program started meanwhile would inherit
            // the port, and with it the lock, and could hold both after this process exits.
            _ = fcntl(handle, F_SETFD, fcntl(handle, F_GETFD) | FD_CLOEXEC)
            if flock(handle, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK {
                throw .inUse(path: path, holder: PortHolder.holding(path))
            }
            try applyLineSettings(configuration, to: port, descriptor: handle, path: path)
            _ = sp_flush(port, SP_BUF_BOTH)
        } catch {
            sp_close(port)
            sp_free_port(port)
            throw error
        }
        self.path = path
        self.configuration = configuration
        self.port = port
        self.descriptor = handle
    }

    deinit { close() }

    public var description: String { "serial port \(path) (libserialport, \(configuration))" }

    private func withPort<T>(_ operation: String, _ body: () throws(TransportError) -> T) throws(TransportError) -> T {
        try gate.run(operation, body)
    }

    private var isClosed: Bool { gate.isClosed }

    /// Milliseconds for the next wait: the rest of the deadline, at most one slice, at least 1
    /// (libserialport reads 0 as "wait forever").
    private func nextWait(until deadline: ContinuousClock.Instant) -> UInt32 {
        let slice = (ContinuousClock.now + Self.waitSlice).millisecondsFromNow
        return UInt32(max(1, min(deadline.millisecondsFromNow, slice)))
    }

    /// True when the line was hung up: the adapter was unplugged, or the far end of a
    /// pseudo-terminal closed. Such a line reads end of file for ever after.
    private var isHungUp: Bool {
        var state = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&state, 1, 0) == 1 else { return false }
        return state.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// The corresponding C function is `sp_blocking_write`.
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        let operation = "write to \(path)"
        let allowed = ContinuousClock.now.duration(to: deadline)
        try withPort(operation) { () throws(TransportError) in
            var written = 0
            while written < bytes.count {
                if isClosed {
                    throw gate.closedError(operation)
                }
                let count = bytes.withUnsafeBytes {
                    sp_blocking_write(port, $0.baseAddress! + written, bytes.count - written, nextWait(until: deadline))
                }
                if count.rawValue < 0 { throw .libserialport(count, operation) }
                written += Int(count.rawValue)
                if written < bytes.count && ContinuousClock.now >= deadline {
                    throw .timedOut(operation: "\(operation) within \(waitDescription(allowed))", transferred: written)
                }
            }
        }
    }

    /// The corresponding C function is `sp_blocking_read_next`.
    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        precondition(maxBytes > 0, "read(upTo:) needs room for at least one byte")
        let operation = "read from \(path)"
        let allowed = ContinuousClock.now.duration(to: deadline)
        return try withPort(operation) { () throws(TransportError) -> [UInt8] in
            var buffer = [UInt8](repeating: 0, count: maxBytes)
            while true {
                if isClosed {
                    throw gate.closedError(operation)
                }
                // A hung-up line reads end of file at once (what was still queued is gone), which
                // sp_blocking_read_next takes for "nothing yet" and retries, spinning, until its
                // timeout. So look first.
                if isHungUp {
                    throw .disconnected(operation: operation, reason: "hang-up", cause: nil)
                }
                let count = buffer.withUnsafeMutableBytes {
                    sp_blocking_read_next(port, $0.baseAddress, maxBytes, nextWait(until: deadline))
                }
                if count.rawValue < 0 { throw .libserialport(count, operation) }
                if count.rawValue > 0 { return Array(buffer[..<Int(count.rawValue)]) }
                // Nothing came: silence until the deadline, or a hang-up during the wait (the next
                // turn reports it, even when the deadline has passed meanwhile).
                if ContinuousClock.now >= deadline && !isHungUp {
                    throw .timedOut(operation: "\(operation) within \(waitDescription(allowed))", transferred: 0)
                }
            }
        }
    }

    /// Waits for reads and writes in progress to leave (at most one wait slice), then closes.
    /// The corresponding C functions are `sp_close` and `sp_free_port`.
    public func close() {
        guard gate.close() else { return }
        sp_close(port)
        sp_free_port(port)
    }
}

/// "200 ms", "1.5 s": how long an operation was allowed, for its timeout message.
private func waitDescription(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let total = max(0, Double(seconds) + Double(attoseconds) * 1e-18)
    if total < 1 { return "\(Int((total * 1000).rounded())) ms" }
    return "\((total * 1000).rounded() / 1000) s"
}
