import Foundation

/// `xbar sim --pty` running as its own process: the board emulator behind a real
/// pseudo-terminal. Stopped (SIGTERM, then SIGKILL) when the value goes away, so a failing test
/// leaves no emulator behind.
final class BoardEmulatorProcess {
    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    let process = Process()
    /// The pseudo-terminal the emulator serves, e.g. /dev/pts/7.
    let devicePath: String
    private let errors = Pipe()

    init(instrument: String, extraArguments: [String] = [], timeoutSeconds: Double = 20) throws {
        process.executableURL = try XbarExecutable.url()
        process.arguments = ["sim", "--instrument", instrument, "--pty"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.currentDirectoryURL = XbarExecutable.packageRoot
        try process.run()
        // The first line of standard output is the device path.
        let handle = output.fileHandleForReading
        var line = Data()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !line.contains(UInt8(ascii: "\n")) {
            guard Date() < deadline, process.isRunning else {
                process.terminate()
                let stderr = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
                throw StartFailure(description: "xbar sim did not print its device path within \(timeoutSeconds) s: \(stderr)")
            }
            let chunk = handle.availableData
            if chunk.isEmpty { usleep(10_000) } else { line.append(chunk) }
        }
        devicePath = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Kills the emulator at once, as a crash or a pulled cable would.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Asks the emulator to stop and waits for it; returns its exit status and what it printed on stderr.
    func stop() -> (status: Int32, standardError: String) {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill() }
        }
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, text)
    }

    deinit {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
