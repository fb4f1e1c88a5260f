import CSerialLine
import Foundation
import Glibc
import Testing
@testable import XbarTransport

/// `SerialPort` driven through libserialport's own open, configuration, blocking read and write,
/// and close, on a pseudo-terminal that has the modem lines of a real port (see
/// `LibSerialPortLine`). The test plays the board on the terminal's master.
@Suite("libserialport I/O on a serial line", .serialized)
struct LibSerialPortTests {
    let settings = SerialConfiguration(baudRate: 115_200)

    /// A line and the host's port on it, or nil (with the reason printed) when no line can be made.
    func open(_ test: String, _ configuration: SerialConfiguration? = nil) throws -> (LibSerialPortLine, SerialPort)? {
        guard LibSerialPortLine.isAvailable(for: test) else { return nil }
        let line = try LibSerialPortLine()
        do {
            return (line, try SerialPort(path: line.portName, configuration: configuration ?? settings))
        } catch {
            line.close()
            throw error
        }
    }

    @Test("libserialport opens a line left cooked at 9600 baud 2 stop bits, reads and keeps its modem lines, and leaves it raw at 115200 8N1")
    func opensRaw8N1() throws {
        guard LibSerialPortLine.isAvailable(for: "libserialport opens 8N1") else { return }
        let line = try LibSerialPortLine()
        defer { line.close() }
        // As a terminal is when nobody configured it: line editing, echo, signals, CR/NL mapping.
        try line.presetLine { t in
            t.c_lflag |= tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
            t.c_iflag |= tcflag_t(ICRNL | IXON | IXOFF)
            t.c_oflag |= tcflag_t(OPOST)
            t.c_cflag |= tcflag_t(CSTOPB)
            cfsetspeed(&t, speed_t(B9600))
        }
        let port = try SerialPort(path: line.portName, configuration: settings)
        defer { port.close() }

        #expect(port.description.contains("libserialport"))
        // sp_open reads the lines and writes DTR and RTS back as it found them, asserted.
        #expect(line.modemRequestsAnswered >= 1)
        #expect(line.modemOutputs == TIOCM_DTR | TIOCM_RTS)
        let t = try line.lineSettings()
        #expect(try line.lineSpeeds() == (input: 115_200, output: 115_200))
        #expect(t.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
        #expect(t.c_cflag & tcflag_t(PARENB | CSTOPB) == 0)
        #expect(t.c_cflag & tcflag_t(CRTSCTS) == 0)
        #expect(t.c_cflag & tcflag_t(CLOCAL | CREAD) == tcflag_t(CLOCAL | CREAD))
        // Raw: no echo, no line editing, no signals, no CR/NL translation, no software flow control.
        #expect(t.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0)
        #expect(t.c_iflag & tcflag_t(ICRNL | INLCR | IGNCR | ISTRIP | IXON | IXOFF) == 0)
        #expect(t.c_oflag & tcflag_t(OPOST) == 0)
    }

    struct LineCase: Sendable, CustomTestStringConvertible {
        var configuration: SerialConfiguration
        /// The stop-bit and RTS/CTS bits of c_cflag expected set.
        var controlFlags: tcflag_t
        /// The XON/XOFF bits of c_iflag expected set.
        var inputFlags: tcflag_t
        var testDescription: String { configuration.description }
    }

    // A pseudo-terminal holds any speed, stop bits and flow control, but only 8 data bits without
    // parity (the kernel refuses CS7 and drops PARENB); those are the refusal cases below.
    @Test("speed, stop bits and flow control reach the line as asked, RTS/CTS where the kernel reads it", arguments: [
        LineCase(configuration: SerialConfiguration(baudRate: 9600, stopBits: 2, flowControl: .xonxoff),
                 controlFlags: tcflag_t(CSTOPB), inputFlags: tcflag_t(IXON | IXOFF)),
        LineCase(configuration: SerialConfiguration(baudRate: 921_600, flowControl: .rtscts),
                 controlFlags: tcflag_t(CRTSCTS), inputFlags: 0),
        LineCase(configuration: SerialConfiguration(baudRate: 1_000_000, flowControl: .none),
                 controlFlags: 0, inputFlags: 0),
    ])
    func lineSettings(_ expected: LineCase) throws {
        guard let (line, port) = try open("libserialport line settings", expected.configuration) else { return }
        defer { line.close() }
        defer { port.close() }
        let rate = expected.configuration.baudRate
        #expect(try line.lineSpeeds() == (input: rate, output: rate))
        let t = try line.lineSettings()
        #expect(t.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
        let controlMask = tcflag_t(PARENB | CSTOPB) | tcflag_t(CRTSCTS)
        #expect(t.c_cflag & controlMask == expected.controlFlags)
        #expect(t.c_iflag & tcflag_t(IXON | IXOFF) == expected.inputFlags)
        // No flag outside the input flags the kernel defines.
        #expect(t.c_iflag & tcflag_t(CRTSCTS) == 0)
    }

    @Test("RTS/CTS flow control another program left on the line is turned off when none is asked")
    func staleHardwareFlowControl() throws {
        guard LibSerialPortLine.isAvailable(for: "libserialport stale flow control") else { return }
        let line = try LibSerialPortLine()
        defer { line.close() }
        try line.presetLine { $0.c_cflag |= tcflag_t(CRTSCTS) }
        #expect(try line.lineSettings().c_cflag & tcflag_t(CRTSCTS) != 0)
        let port = try SerialPort(path: line.portName, configuration: settings)
        defer { port.close() }
        #expect(try line.lineSettings().c_cflag & tcflag_t(CRTSCTS) == 0)
    }

    struct RefusedCase: Sendable, CustomTestStringConvertible {
        var configuration: SerialConfiguration
        var setting: String
        var reason: String
        var testDescription: String { configuration.description }
    }

    @Test("settings the line cannot hold are refused naming the setting, whether the driver refuses them or silently drops them", arguments: [
        RefusedCase(configuration: SerialConfiguration(baudRate: 115_200, dataBits: 7),
                    setting: "7 data bits", reason: "refused by the port driver (EINVAL)"),
        RefusedCase(configuration: SerialConfiguration(baudRate: 115_200, parity: .odd),
                    setting: "parity", reason: "the port driver applied none instead of odd"),
    ])
    func refusedSettings(_ refused: RefusedCase) throws {
        guard LibSerialPortLine.isAvailable(for: "libserialport refused settings") else { return }
        let line = try LibSerialPortLine()
        defer { line.close() }
        #expect {
            _ = try SerialPort(path: line.portName, configuration: refused.configuration)
        } throws: { error in
            guard case let .invalidConfiguration(what, reason)? = error as? TransportError else { return false }
            return what == "\(line.portName): \(refused.setting)" && reason == refused.reason
        }
        // The refused open let go of the port: settings the line can hold open it at once.
        let port = try SerialPort(path: line.portName, configuration: settings)
        port.close()
    }

    @Test("every byte value crosses unchanged in both directions")
    func everyByteValue() throws {
        guard let (line, port) = try open("libserialport byte values") else { return }
        defer { line.close() }
        defer { port.close() }
        let board = try #require(line.board)
        // Including the ones a cooked terminal would act on: ^C, ^Q, ^S, CR, NL, 0x7F.
        let allValues = (0...255).map(UInt8.init)
        try port.write(allValues, timeout: .seconds(2))
        #expect(try board.read(exactly: 256, deadline: .now + .seconds(2)) == allValues)
        try board.write(allValues.reversed(), timeout: .seconds(2))
        #expect(try port.read(exactly: 256, deadline: .now + .seconds(2)) == Array(allValues.reversed()))
    }

    @Test("a 64 KiB reply in one board write arrives whole and in order through many partial reads")
    func largeReply() throws {
        guard let (line, port) = try open("libserialport large reply") else { return }
        defer { line.close() }
        defer { port.close() }
        let board = try #require(line.board)
        let payload = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let boardOutcome = ThreadOutcome()
        let writer = Thread {
            do { try board.write(payload, timeout: .seconds(10)) } catch { boardOutcome.set(error) }
            boardOutcome.finish()
        }
        writer.start()
        var received: [UInt8] = []
        var reads = 0
        while received.count < payload.count {
            received += try port.read(upTo: 65_536, timeout: .seconds(5))
            reads += 1
        }
        #expect(received == payload)
        // The terminal holds a few KiB at a time, so one read cannot have carried it all.
        #expect(reads > 1, "\(reads) reads")
        #expect(boardOutcome.waitUntilFinished(orSeconds: 5), "the board's write did not return")
        #expect(boardOutcome.error == nil)
    }

    @Test("a 64 KiB request in one host write reaches the board whole while the board drains it")
    func largeRequest() throws {
        guard let (line, port) = try open("libserialport large request") else { return }
        defer { line.close() }
        defer { port.close() }
        let board = try #require(line.board)
        let payload = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let hostOutcome = ThreadOutcome()
        let writer = Thread {
            do { try port.write(payload, timeout: .seconds(10)) } catch { hostOutcome.set(error) }
            hostOutcome.finish()
        }
        writer.start()
        #expect(try board.read(exactly: payload.count, deadline: .now + .seconds(10)) == payload)
        #expect(hostOutcome.waitUntilFinished(orSeconds: 5), "the host's write did not return")
        #expect(hostOutcome.error == nil)
    }

    @Test("a read from a silent board throws timedOut at its 200 ms deadline, naming the port and the wait")
    func silentBoard() throws {
        guard let (line, port) = try open("libserialport read timeout") else { return }
        defer { line.close() }
        defer { port.close() }
        let start = ContinuousClock.now
        let error = #expect(throws: TransportError.self) {
            _ = try port.read(upTo: 64, timeout: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - start
        guard case .timedOut(_, let transferred)? = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        #expect(transferred == 0)
        #expect("\(error!)" == "read from \(line.portName) within 200 ms: timed out")
        // Never before the deadline; the upper bound allows for two shared, busy cores.
        #expect(elapsed >= .milliseconds(200))
        #expect(elapsed < .seconds(1), "took \(elapsed)")
    }

    @Test("a write the board never drains times out at its 300 ms deadline, saying how much went out")
    func undrainedWrite() throws {
        guard let (line, port) = try open("libserialport write timeout") else { return }
        defer { line.close() }
        defer { port.close() }
        let megabyte = [UInt8](repeating: 0x55, count: 1 << 20)
        let start = ContinuousClock.now
        let error = #expect(throws: TransportError.self) {
            try port.write(megabyte, timeout: .milliseconds(300))
        }
        let elapsed = ContinuousClock.now - start
        guard case .timedOut(_, let transferred)? = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        // The terminal takes some KiB before it stops accepting, never the whole MiB.
        #expect(transferred > 0 && transferred < megabyte.count, "\(transferred) bytes")
        #expect("\(error!)" == "write to \(line.portName) within 300 ms: timed out after \(transferred) bytes")
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .milliseconds(1500), "took \(elapsed)")
    }

    // Closing a pseudo-terminal's master hangs the slave up (the kernel's tty_vhangup), exactly
    // as unplugging a USB serial adapter does: every open file on it reads end of file from then on.
    @Test("when the board closes its end (as an unplugged adapter does), a read waiting on another thread reports a hang-up at once, not a timeout")
    func boardClosesDuringRead() throws {
        guard let (line, port) = try open("libserialport far end closes") else { return }
        defer { line.close() }
        defer { port.close() }
        let board = try #require(line.board)
        let outcome = ThreadOutcome()
        let reader = Thread {
            do { _ = try port.read(upTo: 64, timeout: .seconds(10)) } catch { outcome.set(error) }
            outcome.finish()
        }
        reader.start()
        Thread.sleep(forTimeInterval: 0.1)
        let closed = ContinuousClock.now
        board.close()
        // At once: within one 100 ms wait slice; 1 s allows for a busy machine, far below the 10 s deadline.
        #expect(outcome.waitUntilFinished(orSeconds: 1), "the read did not return within 1 s of the close")
        #expect(ContinuousClock.now - closed < .seconds(1))
        guard case .disconnected? = outcome.error as? TransportError else {
            Issue.record("expected disconnected, got \(String(describing: outcome.error))")
            return
        }
        #expect("\(outcome.error!)" == "read from \(line.portName): disconnected (hang-up)")
        // And it stays gone: the next read says so at once too.
        let again = ContinuousClock.now
        #expect(throws: TransportError.disconnected(operation: "read from \(line.portName)", reason: "hang-up", cause: nil)) {
            _ = try port.read(upTo: 64, timeout: .seconds(5))
        }
        #expect(ContinuousClock.now - again < .milliseconds(100))
    }

    @Test("a write after the board closed its end reports disconnected with EIO")
    func writeAfterBoardClosed() throws {
        guard let (line, port) = try open("libserialport write after far end closed") else { return }
        defer { line.close() }
        defer { port.close() }
        try #require(line.board).close()
        let error = #expect(throws: TransportError.self) {
            try port.write([1, 2, 3], timeout: .seconds(2))
        }
        guard case .disconnected(let operation, _, let cause)? = error else {
            Issue.record("expected disconnected, got \(String(describing: error))")
            return
        }
        #expect(operation == "write to \(line.portName)")
        #expect(cause?.library == .libserialport && cause?.code == EIO && cause?.name == "EIO", "\(String(describing: cause))")
    }

    @Test("closing the port wakes a read blocked on another thread within one wait slice; later calls say it was closed")
    func closeWhileReading() throws {
        guard let (line, port) = try open("libserialport close while reading") else { return }
        defer { line.close() }
        let outcome = ThreadOutcome()
        let reader = Thread {
            do { _ = try port.read(upTo: 64, timeout: .seconds(10)) } catch { outcome.set(error) }
            outcome.finish()
        }
        reader.start()
        Thread.sleep(forTimeInterval: 0.1)
        let closing = ContinuousClock.now
        port.close()
        // close() waits for the read to leave libserialport, which checks in every 100 ms slice.
        let closeTook = ContinuousClock.now - closing
        #expect(closeTook < .milliseconds(500), "close took \(closeTook)")
        #expect(outcome.waitUntilFinished(orSeconds: 1), "the read did not return")
        guard case .disconnected(_, let reason, _)? = outcome.error as? TransportError else {
            Issue.record("expected disconnected, got \(String(describing: outcome.error))")
            return
        }
        #expect(reason == "the port was closed on this side")
        for attempt in [{ _ = try port.read(upTo: 1, timeout: .seconds(1)) },
                        { try port.write([1], timeout: .seconds(1)) }] as [() throws -> Void] {
            #expect {
                try attempt()
            } throws: { error in
                guard case .disconnected(_, "the port was closed on this side", nil)? = error as? TransportError else { return false }
                return true
            }
        }
        port.close()
    }

    @Test("closing the port wakes a write blocked on a board that does not drain")
    func closeWhileWriting() throws {
        guard let (line, port) = try open("libserialport close while writing") else { return }
        defer { line.close() }
        let outcome = ThreadOutcome()
        let writer = Thread {
            do { try port.write([UInt8](repeating: 0xA5, count: 1 << 20), timeout: .seconds(10)) } catch { outcome.set(error) }
            outcome.finish()
        }
        writer.start()
        Thread.sleep(forTimeInterval: 0.2)
        port.close()
        #expect(outcome.waitUntilFinished(orSeconds: 1), "the write did not return within 1 s of the close")
        guard case .disconnected? = outcome.error as? TransportError else {
            Issue.record("expected disconnected, got \(String(describing: outcome.error))")
            return
        }
    }

    @Test("a second open of a held port is refused as inUse naming this process; once closed it opens again")
    func exclusive() throws {
        guard let (line, port) = try open("libserialport exclusive") else { return }
        defer { line.close() }
        #expect {
            _ = try SerialPort(path: line.portName, configuration: settings)
        } throws: { error in
            guard case let .inUse(path, holder)? = error as? TransportError else { return false }
            return path == line.portName && holder?.pid == getpid()
        }
        port.close()
        let again = try SerialPort(path: line.portName, configuration: settings)
        defer { again.close() }
        try again.write([0x42], timeout: .seconds(1))
        #expect(try #require(line.board).read(upTo: 1, timeout: .seconds(1)) == [0x42])
    }

    @Test("the port's descriptor is closed on exec, so a program started meanwhile cannot keep the port and its lock")
    func notInherited() throws {
        guard let (line, port) = try open("libserialport close on exec") else { return }
        defer { line.close() }
        defer { port.close() }
        // Every descriptor of this process on the terminal: the port's, and the board's own hold on the slave.
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap(Int32.init)
            .filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == line.slavePath }
        #expect(descriptors.count >= 2, "descriptors on \(line.slavePath): \(descriptors)")
        for fd in descriptors {
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC != 0, "descriptor \(fd) on \(line.slavePath) is inherited by programs started")
        }
    }
}

/// What a helper thread ended with, read back by the test.
final class ThreadOutcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var storedError: (any Error)?
    private var finished = false

    func set(_ error: any Error) { condition.withLock { storedError = error } }

    func finish() {
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    var error: (any Error)? { condition.withLock { storedError } }

    /// Waits until the thread finished or `seconds` passed; true when it finished.
    @discardableResult
    func waitUntilFinished(orSeconds seconds: Double) -> Bool {
        let limit = Date().addingTimeInterval(seconds)
        return condition.withLock {
            while !finished {
                if !condition.wait(until: limit) { return finished }
            }
            return true
        }
    }
}
