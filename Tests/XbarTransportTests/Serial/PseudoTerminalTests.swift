import Foundation
import Glibc
import Testing
@testable import XbarTransport

/// A serial link as a board emulator presents it: the emulator holds a pseudo-terminal, the host
/// opens its slave path as a serial port.
@Suite("serial over a pseudo-terminal")
struct PseudoTerminalTests {
    let settings = SerialConfiguration(baudRate: 115_200)

    @Test("bytes written on either side arrive unchanged on the other")
    func bothWays() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let host = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        defer { host.close() }

        // Every byte value, including the ones a cooked terminal would eat (^C, ^S, CR, 0x7F).
        let allValues = (0...255).map(UInt8.init)
        try host.write(allValues, timeout: .seconds(2))
        #expect(try board.read(exactly: 256, deadline: .now + .seconds(2)) == allValues)
        try board.write(allValues.reversed(), timeout: .seconds(2))
        #expect(try host.read(exactly: 256, deadline: .now + .seconds(2)) == Array(allValues.reversed()))
    }

    @Test("64 KiB written in 1 KiB chunks arrives complete and in order, in both directions")
    func bulk() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let host = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        defer { host.close() }
        let payload = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }

        // The terminal buffers only a few KiB, so the writer must run while the reader drains.
        for (writer, reader) in [(host as any ByteTransport, board as any ByteTransport), (board, host)] {
            let writerError = WriterOutcome()
            let thread = Thread {
                do {
                    for start in stride(from: 0, to: payload.count, by: 1024) {
                        try writer.write(Array(payload[start..<start + 1024]), timeout: .seconds(5))
                    }
                } catch {
                    writerError.set(error)
                }
            }
            thread.start()
            let received = try reader.read(exactly: payload.count, deadline: .now + .seconds(10))
            #expect(received == payload, "\(writer) to \(reader)")
            #expect(writerError.get() == nil)
        }
    }

    @Test("a read with a 50 ms deadline and no data throws timedOut after about 50 ms")
    func readDeadline() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let host = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        defer { host.close() }

        let start = ContinuousClock.now
        #expect {
            _ = try host.read(upTo: 16, timeout: .milliseconds(50))
        } throws: { error in
            guard case .timedOut(_, 0)? = error as? TransportError else { return false }
            return true
        }
        let elapsed = ContinuousClock.now - start
        // Not earlier than the deadline (the wait is rounded up to whole milliseconds); the
        // upper bound is loose because two shared cores may delay the wake-up.
        #expect(elapsed >= .milliseconds(50))
        #expect(elapsed < .seconds(1))
    }

    @Test("a second open of a held port fails with inUse naming this process")
    func exclusive() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let host = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        defer { host.close() }

        #expect {
            _ = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        } throws: { error in
            guard case let .inUse(path, holder)? = error as? TransportError else { return false }
            return path == board.slavePath && holder?.pid == getpid()
                && "\(error)".contains("in use by") && "\(error)".contains("pid \(getpid())")
        }

        // Once the holder closes, the port opens again.
        host.close()
        let second = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        second.close()
    }

    @Test("closing the board's master makes the host's read report disconnected")
    func masterClosed() throws {
        let board = try PseudoTerminal()
        let host = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        defer { host.close() }
        board.close()

        let start = ContinuousClock.now
        #expect {
            _ = try host.read(upTo: 16, timeout: .seconds(2))
        } throws: { error in
            guard case .disconnected? = error as? TransportError else { return false }
            return true
        }
        #expect(ContinuousClock.now - start < .seconds(1), "a hang-up is reported at once, not at the deadline")
    }

    @Test("closing a port wakes a read blocked on another thread")
    func closeWakesRead() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let host = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        let outcome = WriterOutcome()
        let done = DispatchSemaphore(value: 0)
        Thread {
            do { _ = try host.read(upTo: 16, timeout: .seconds(10)) } catch { outcome.set(error) }
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.05)
        host.close()
        #expect(done.wait(timeout: .now() + 2) == .success, "the read must return well before its 10 s deadline")
        guard case .disconnected? = outcome.get() as? TransportError else {
            Issue.record("expected disconnected, got \(String(describing: outcome.get()))")
            return
        }
    }

    @Test("a link path points at the slave while open and is removed on close")
    func linkPath() throws {
        let link = FileManager.default.temporaryDirectory
            .appendingPathComponent("xbar-pty-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let board = try PseudoTerminal(linkPath: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == board.slavePath)
        #expect(board.hostPath == link)
        let host = try SerialTransport.open(path: link, configuration: settings)
        try host.write([1, 2, 3], timeout: .seconds(1))
        #expect(try board.read(exactly: 3, deadline: .now + .seconds(1)) == [1, 2, 3])
        #expect(host.description.contains("termios"))
        host.close()
        board.close()
        #expect(!FileManager.default.fileExists(atPath: link))
    }

    @Test("a missing port is reported as notFound with its path")
    func missing() {
        #expect {
            _ = try SerialTransport.open(path: "/dev/pts/999999", configuration: settings)
        } throws: { error in
            guard case .notFound(let what)? = error as? TransportError else { return false }
            return what.contains("/dev/pts/999999")
        }
    }

    @Test("a baud rate termios lacks is refused, not rounded")
    func oddBaudRate() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        #expect {
            _ = try TermiosSerialPort(path: board.slavePath, configuration: SerialConfiguration(baudRate: 123_456))
        } throws: { error in
            guard case .invalidConfiguration(let what, _)? = error as? TransportError else { return false }
            return what.contains("baud rate")
        }
    }
}

/// The error a helper thread saw, read back by the test.
final class WriterOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?
    func set(_ error: any Error) { lock.withLock { self.error = error } }
    func get() -> (any Error)? { lock.withLock { error } }
}
