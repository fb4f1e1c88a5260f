import Foundation
import Glibc
import Testing
import XbarTransport

/// The process at the other end of a serial link dies while this side waits in a read.
@Suite("serial peer killed mid-read")
struct ChildProcessTests {
    let settings = SerialConfiguration(baudRate: 115_200)
    static let python = "/usr/bin/python3"

    /// Starts a Python child running `script` with `arguments`; returns it once it has printed
    /// its first line (which it uses to say it is ready, or to name its terminal).
    func startChild(_ script: String, _ arguments: [String] = []) throws -> (Process, String) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.python)
        child.arguments = ["-u", "-c", script] + arguments
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        return (child, String(decoding: line, as: UTF8.self))
    }

    func stop(_ child: Process) {
        if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
    }

    @Test("when the board process holding the terminal is killed, the host's pending read reports disconnected at once")
    func boardKilled() throws {
        // The board: a process that owns the pseudo-terminal master and never answers.
        let (board, slavePath) = try startChild("""
            import os, tty, time
            master, slave = os.openpty()
            tty.setraw(slave)
            print(os.ttyname(slave))
            time.sleep(60)
            """)
        defer { stop(board) }
        let host = try TermiosSerialPort(path: slavePath, configuration: settings)
        defer { host.close() }

        let killer = Thread {
            Thread.sleep(forTimeInterval: 0.2)
            kill(board.processIdentifier, SIGKILL)
        }
        let start = ContinuousClock.now
        killer.start()
        #expect {
            _ = try host.read(upTo: 64, timeout: .seconds(10))
        } throws: { error in
            guard case .disconnected? = error as? TransportError else { return false }
            return true
        }
        // Killed after 0.2 s; the hang-up must end the read long before its 10 s deadline.
        // 2 s allows for a slow process exit on a loaded machine.
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("when the host process reading the port is killed, the board's read ends at its 300 ms deadline")
    func hostKilled() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        // The host: a process that opens the port and blocks in a read.
        let (host, _) = try startChild("""
            import os, sys
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
            print("open")
            os.read(fd, 1)
            """, [board.slavePath])
        defer { stop(host) }
        kill(host.processIdentifier, SIGKILL)
        host.waitUntilExit()

        // The board keeps its own end of the slave open (hosts may reconnect), so a host that
        // dies is silence, not a hang-up: the read must end at its deadline, not hang.
        let start = ContinuousClock.now
        #expect {
            _ = try board.read(upTo: 64, timeout: .milliseconds(300))
        } throws: { error in
            guard case .timedOut? = error as? TransportError else { return false }
            return true
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(300))
        #expect(elapsed < .seconds(1))

        // And a new host can open the port and be heard.
        let next = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        defer { next.close() }
        try next.write([0x55], timeout: .seconds(1))
        #expect(try board.read(upTo: 1, timeout: .seconds(1)) == [0x55])
    }

    @Test("a port held by another process is refused as inUse, naming that process and its PID")
    func heldByAnotherProcess() throws {
        let board = try PseudoTerminal()
        defer { board.close() }
        let (holder, _) = try startChild("""
            import fcntl, os, sys, time
            fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            print("locked")
            time.sleep(60)
            """, [board.slavePath])
        defer { stop(holder) }

        #expect {
            _ = try TermiosSerialPort(path: board.slavePath, configuration: settings)
        } throws: { error in
            guard case let .inUse(path, owner)? = error as? TransportError else { return false }
            return path == board.slavePath && owner?.pid == holder.processIdentifier
                && owner?.command?.hasPrefix("python3") == true
                && "\(error)".contains("in use by python3 (pid \(holder.processIdentifier))")
        }
    }
}
