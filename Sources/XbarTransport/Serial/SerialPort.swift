import CLibSerialPort
import Foundation
import Glibc

/// A real serial port (a UART, a USB serial adapter) opened and driven through libserialport.
///
/// Reads and writes wait in slices of at most `waitSlice`, so `close()` from another thread
/// takes effect within one slice; libserialport offers no way to wake a blocked call.
/// Opening takes an exclusive `flock` on the device so a second opener gets `.inUse`.
public final class SerialPort: ByteTransport, @unchecked Sendable {
    /// The path the port was opened with.
    public let path: String
    public let configuration: SerialConfiguration
    private let port: OpaquePointer
    private let gate = OperationGate(closedReason: "the port was closed on this side")
    private static let waitSlice: Duration = .milliseconds(100)

    /// Opens `path` read-write and applies the line settings.
    ///
    /// - Throws: `.notFound` when libserialport does not know the port (pseudo-terminals are not
    ///   known to it; use `SerialTransport.open`); `.inUse` when another open file holds it;
    ///   `.invalidConfiguration` when the driver refuses a setting; `.system` otherwise.
    /// The corresponding C functions are `sp_get_port_by_name`, `sp_open`, `sp_set_baudrate`,
    /// `sp_set_bits`, `sp_set_parity`, `sp_set_stopbits`, `sp_set_flowcontrol`.
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
        do throws(TransportError) {
            var handle: Int32 = -1
            if sp_get_port_handle(port, &handle) == SP_OK, handle >= 0,
               flock(handle, LOCK_EX | LOCK_NB) != 0, errno == EWOULDBLOCK {
                throw .inUse(path: path, holder: PortHolder.holding(path))
            }
            try apply(configuration, to: port, path: path)
            _ = sp_flush(port, SP_BUF_BOTH)
        } catch {
            sp_close(port)
            sp_free_port(port)
            throw error
        }
        self.path = path
        self.configuration = configuration
        self.port = port
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

    /// The corresponding C function is `sp_blocking_write`.
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws(TransportError) {
        let operation = "write to \(path)"
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
                    throw .timedOut(operation: operation, transferred: written)
                }
            }
        }
    }

    /// The corresponding C function is `sp_blocking_read_next`.
    public func read(upTo maxBytes: Int, deadline: ContinuousClock.Instant) throws(TransportError) -> [UInt8] {
        precondition(maxBytes > 0, "read(upTo:) needs room for at least one byte")
        let operation = "read from \(path)"
        return try withPort(operation) { () throws(TransportError) -> [UInt8] in
            var buffer = [UInt8](repeating: 0, count: maxBytes)
            while true {
                if isClosed {
                    throw gate.closedError(operation)
                }
                let count = buffer.withUnsafeMutableBytes {
                    sp_blocking_read_next(port, $0.baseAddress, maxBytes, nextWait(until: deadline))
                }
                if count.rawValue < 0 { throw .libserialport(count, operation) }
                if count.rawValue > 0 { return Array(buffer[..<Int(count.rawValue)]) }
                // Nothing came: an unplugged adapter hangs up without an error from the read.
                var handle: Int32 = -1
                if sp_get_port_handle(port, &handle) == SP_OK, pollReportsHangUp(handle) {
                    throw .disconnected(operation: operation, reason: "hang-up", cause: nil)
                }
                if ContinuousClock.now >= deadline {
                    throw .timedOut(operation: operation, transferred: 0)
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

private func apply(_ configuration: SerialConfiguration, to port: OpaquePointer, path: String) throws(TransportError) {
    func check(_ result: sp_return, _ setting: String) throws(TransportError) {
        guard result == SP_OK else {
            if result == SP_ERR_ARG || result == SP_ERR_SUPP {
                throw .invalidConfiguration(what: "\(path): \(setting)", reason: "refused by the port driver")
            }
            throw .system(.libserialport(result, "set \(setting) on \(path)"))
        }
    }
    try check(sp_set_baudrate(port, Int32(configuration.baudRate)), "baud rate \(configuration.baudRate)")
    try check(sp_set_bits(port, Int32(configuration.dataBits)), "\(configuration.dataBits) data bits")
    let parity: sp_parity = switch configuration.parity {
    case .none: SP_PARITY_NONE
    case .odd: SP_PARITY_ODD
    case .even: SP_PARITY_EVEN
    }
    try check(sp_set_parity(port, parity), "parity \(configuration.parity.rawValue)")
    try check(sp_set_stopbits(port, Int32(configuration.stopBits)), "\(configuration.stopBits) stop bits")
    let flow: sp_flowcontrol = switch configuration.flowControl {
    case .none: SP_FLOWCONTROL_NONE
    case .rtscts: SP_FLOWCONTROL_RTSCTS
    case .xonxoff: SP_FLOWCONTROL_XONXOFF
    }
    try check(sp_set_flowcontrol(port, flow), "flow control \(configuration.flowControl.rawValue)")
}
