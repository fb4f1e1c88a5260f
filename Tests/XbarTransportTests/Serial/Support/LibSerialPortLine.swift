import CSerialLine
import Foundation
import Glibc
import Testing
import XbarTransport

/// A serial line that libserialport opens as it opens a real port: a pseudo-terminal with the
/// modem lines of a real port, under a name that passes libserialport's sysfs lookup.
///
/// libserialport accepts a name `/dev/X` only when `/sys/class/tty/X` exists and is (or has) a
/// symbolic link, and then opens `/dev/X`. For `X = ../../../tmp/link` both resolve to
/// `/tmp/link`, a symbolic link to the pseudo-terminal's slave: the lookup runs on the real file
/// system, unchanged, and finds a native port. The modem lines a pseudo-terminal lacks are
/// answered by `CSerialLine`, for this terminal only.
final class LibSerialPortLine {
    /// The far end of the line: the board side, read and written by the test or served by a board.
    let board: PseudoTerminal?
    /// The name to give `SerialPort`, e.g. "/dev/../../../tmp/xbar-serial-12-34".
    let portName: String
    /// The slave device, e.g. "/dev/pts/5".
    let slavePath: String
    private let device: UInt64
    private let ownedLink: String?
    private var isClosed = false

    /// Why no line can be made here, or nil when it can.
    static let unavailableReason: String? = {
        var info = stat()
        guard stat("/sys/class/tty", &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            return "/sys/class/tty is missing, so libserialport finds no port at all"
        }
        return nil
    }()

    /// True when the line can be made; otherwise prints why (a failure in CI, where every part
    /// must be present).
    static func isAvailable(for test: String) -> Bool {
        guard let reason = unavailableReason else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("libserialport line unavailable in CI: \(reason)")
        } else {
            print("SKIPPED \(test): \(reason)")
        }
        return false
    }

    /// A new pseudo-terminal whose master this line keeps as `board`.
    convenience init() throws {
        let link = Self.temporaryLinkPath()
        let board = try PseudoTerminal(linkPath: link)
        do {
            try self.init(slavePath: board.slavePath, link: link, board: board, ownsLink: false)
        } catch {
            board.close()
            throw error
        }
    }

    /// A line to the pseudo-terminal slave another process serves (e.g. `xbar sim --pty`).
    convenience init(servedAt slavePath: String) throws {
        let link = Self.temporaryLinkPath()
        guard symlink(slavePath, link) == 0 else {
            throw LineFailure(description: "cannot link \(link) to \(slavePath): \(String(cString: strerror(errno)))")
        }
        try self.init(slavePath: slavePath, link: link, board: nil, ownsLink: true)
    }

    private init(slavePath: String, link: String, board: PseudoTerminal?, ownsLink: Bool) throws {
        var info = stat()
        guard stat(slavePath, &info) == 0 else {
            if ownsLink { unlink(link) }
            throw LineFailure(description: "cannot stat \(slavePath): \(String(cString: strerror(errno)))")
        }
        device = UInt64(info.st_rdev)
        guard xbar_modem_lines_attach(device) == 0 else {
            if ownsLink { unlink(link) }
            throw LineFailure(description: "no room for the modem lines of \(slavePath)")
        }
        self.board = board
        self.slavePath = slavePath
        self.portName = "/dev/../../.." + link
        self.ownedLink = ownsLink ? link : nil
    }

    /// Closes the board side (when this line has one), removes the link, detaches the modem
    /// lines. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        board?.close()
        if let ownedLink { unlink(ownedLink) }
        xbar_modem_lines_detach(device)
    }

    deinit { close() }

    /// Modem-line requests libserialport made that the emulation answered.
    var modemRequestsAnswered: Int { Int(xbar_modem_lines_answered(device)) }

    /// The output lines (`TIOCM_DTR`, `TIOCM_RTS`) as the host left them.
    var modemOutputs: Int32 { xbar_modem_lines_outputs(device) }

    /// The line settings the host applied, read from a second descriptor on the slave.
    func lineSettings() throws -> termios {
        try withSlave { fd in try Self.settings(of: fd, slavePath) }
    }

    /// The input and output speeds the host set, in bits per second, as the kernel holds them.
    func lineSpeeds() throws -> (input: Int, output: Int) {
        try withSlave { fd in
            var input: UInt32 = 0, output: UInt32 = 0
            guard xbar_line_speeds(fd, &input, &output) == 0 else {
                throw LineFailure(description: "cannot read the speed of \(slavePath): \(String(cString: strerror(errno)))")
            }
            return (Int(input), Int(output))
        }
    }

    /// Changes the line settings as another program would have left them before the host opens it.
    func presetLine(_ change: (inout termios) -> Void) throws {
        try withSlave { fd in
            var settings = try Self.settings(of: fd, slavePath)
            change(&settings)
            guard tcsetattr(fd, TCSANOW, &settings) == 0 else {
                throw LineFailure(description: "cannot set the settings of \(slavePath): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Runs `body` with a second descriptor on the slave, closed afterwards.
    private func withSlave<T>(_ body: (Int32) throws -> T) throws -> T {
        let fd = open(slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw LineFailure(description: "cannot open \(slavePath): \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(fd) }
        return try body(fd)
    }

    private static func settings(of fd: Int32, _ path: String) throws -> termios {
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else {
            throw LineFailure(description: "cannot read the settings of \(path): \(String(cString: strerror(errno)))")
        }
        return settings
    }

    private static func temporaryLinkPath() -> String {
        // An absolute path without `..` or `.` parts, so that `/dev/../../..` + path names it.
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.resolvingSymlinksInPath().path
        return folder + "/xbar-serial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }
}

struct LineFailure: Error, CustomStringConvertible {
    var description: String
}
