import Foundation
import Glibc
import Testing

/// `xbar sim --pty` in its own process: the board emulator behind a real pseudo-terminal, as a
/// lab without the board runs it. Killed when the value goes away, so a failing test leaves no
/// emulator behind.
final class EmulatorProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The package root (the folder holding Package.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The built `xbar`: `$XBAR_EXECUTABLE`, else the one beside this test program (SwiftPM puts
    /// tests and executables of one build in one folder). Nil when neither exists.
    static var executable: String? {
        if let given = ProcessInfo.processInfo.environment["XBAR_EXECUTABLE"], !given.isEmpty {
            return FileManager.default.isExecutableFile(atPath: given) ? given : nil
        }
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let beside = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("xbar").path
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : nil
    }

    /// True when `xbar` is built; otherwise prints why the test is skipped (a failure in CI).
    static func isAvailable(for test: String) -> Bool {
        if executable != nil { return true }
        let reason = "xbar is not built (run `swift build --build-tests` or set XBAR_EXECUTABLE)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("board emulator unavailable in CI: \(reason)")
        } else {
            print("SKIPPED \(test): \(reason)")
        }
        return false
    }

    private let process: Process
    private let errors: FileHandle
    private let errorsPath: String
    /// The pseudo-terminal slave the emulator serves, e.g. "/dev/pts/7".
    let slavePath: String

    /// Starts `xbar sim --pty` on the instrument file at `instrument` with the given seed and
    /// waits (at most 20 s) for it to print its device path.
    init(instrument: String, seed: UInt64) throws {
        guard let executable = Self.executable else { throw Failure(description: "xbar is not built") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["sim", "--pty", "--instrument", instrument, "--seed", String(seed)]
        process.currentDirectoryURL = Self.packageRoot
        // Standard error to a file: the emulator logs, and a pipe nobody drains could fill and block it.
        let errorsPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("xbar-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        guard FileManager.default.createFile(atPath: errorsPath, contents: nil) else {
            throw Failure(description: "cannot create \(errorsPath) for the emulator's log")
        }
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        let deadline = Date().addingTimeInterval(20)
        let reader = output.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            guard Date() < deadline, process.isRunning else {
                if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                let log = Self.read(errorsPath)
                try? errors.close()
                try? FileManager.default.removeItem(atPath: errorsPath)
                throw Failure(description: "xbar sim did not print its device path within 20 s: \(log)")
            }
            // Wait in short polls: `availableData` alone would block past the deadline.
            var ready = pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) == 1 else { continue }
            let chunk = reader.availableData
            if chunk.isEmpty { usleep(10_000) } else { line.append(chunk) }
        }
        self.process = process
        self.errors = errors
        self.errorsPath = errorsPath
        slavePath = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Kills the emulator at once, as a crash or a pulled cable would.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// What the emulator wrote on standard error so far.
    var log: String { Self.read(errorsPath) }

    private static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    deinit {
        kill()
        try? errors.close()
        try? FileManager.default.removeItem(atPath: errorsPath)
    }
}
