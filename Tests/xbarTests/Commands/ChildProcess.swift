import Foundation
import Glibc

/// A program run to completion by a test, with its output, exit status and wall time.
struct ChildRun {
    var status: Int32
    var standardOutput: String
    var standardError: String
    var elapsed: Duration
    /// True when the run exceeded its limit and was killed.
    var killed: Bool
}

/// Runs `executable` with `arguments`, reading both output streams while it runs, and kills it
/// (SIGTERM, then SIGKILL a second later) if it outlives `limit`, so a hung child fails the test
/// instead of hanging it.
func runChild(_ executable: String, _ arguments: [String], limit: Duration = .seconds(60)) throws -> ChildRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    let collected = CollectedOutput()
    let readers = DispatchGroup()
    let start = ContinuousClock.now
    try process.run()
    DispatchQueue.global().async(group: readers) {
        collected.setOutput(output.fileHandleForReading.readDataToEndOfFile())
    }
    DispatchQueue.global().async(group: readers) {
        collected.setErrors(errors.fileHandleForReading.readDataToEndOfFile())
    }
    let (seconds, attoseconds) = limit.components
    var killed = false
    if finished.wait(timeout: .now() + Double(seconds) + Double(attoseconds) * 1e-18) == .timedOut {
        killed = true
        kill(process.processIdentifier, SIGTERM)
        if finished.wait(timeout: .now() + 1) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
    }
    let elapsed = ContinuousClock.now - start
    readers.wait()
    return ChildRun(status: process.terminationStatus, standardOutput: collected.output,
                    standardError: collected.errors, elapsed: elapsed, killed: killed)
}

private final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var outputData = Data()
    private var errorData = Data()
    func setOutput(_ data: Data) { lock.withLock { outputData = data } }
    func setErrors(_ data: Data) { lock.withLock { errorData = data } }
    var output: String { lock.withLock { String(decoding: outputData, as: UTF8.self) } }
    var errors: String { lock.withLock { String(decoding: errorData, as: UTF8.self) } }
}

/// Paths of the programs the command tests run.
enum TestPrograms {
    /// The built `xbar`; the error says how to build it.
    static func xbar() throws -> String { try XbarExecutable.url().path }

    static var usbEmulator: String {
        XbarExecutable.packageRoot.appendingPathComponent("tools/usb-emulator/usb_board_emulator.py").path
    }

    /// Debian's Python, which has the GObject bindings umockdev needs.
    static let systemPython = "/usr/bin/python3"

    /// Why the USB emulator cannot run here, or nil when it can.
    static let usbEmulatorUnavailableReason: String? = {
        guard FileManager.default.isExecutableFile(atPath: systemPython) else {
            return "\(systemPython) is missing"
        }
        guard let check = try? runChild(systemPython, [
            "-c", "import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev",
        ], limit: .seconds(30)), check.status == 0 else {
            return "umockdev's Python bindings are missing; install them with: apt-get install -y umockdev gir1.2-umockdev-1.0 python3-gi"
        }
        return nil
    }()

    /// The repository's instrument files.
    static var instrumentsFolder: String {
        XbarExecutable.packageRoot.appendingPathComponent("instruments").path
    }

    /// In CI a missing emulator must fail the run, not skip it.
    static var runsInCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}
