import Foundation
import Glibc

/// A program a test ran to completion: its output, exit status and wall time.
struct ChildRun: CustomStringConvertible {
    /// The program's name and its arguments, for messages.
    var command: [String]
    var status: Int32
    var standardOutput: String
    var standardError: String
    var elapsed: Duration
    /// True when the test killed it: it outlived its time limit, or the test's condition for
    /// killing it came true.
    var killed: Bool

    var description: String {
        "\(command.joined(separator: " ")) \(killed ? "was killed" : "exited \(status)") after \(elapsed)\n"
            + "--- stdout\n\(standardOutput)--- stderr\n\(standardError)"
    }
}

/// Runs `executable` with `arguments` and waits for it, so that a hung child fails the test
/// instead of hanging it: past `limit` it gets SIGTERM, then SIGKILL a second later.
///
/// Output goes to files rather than pipes: a chatty child can never block on a full pipe, and a
/// grandchild that inherited the streams cannot keep the test waiting for them to close.
///
/// - Parameters:
///   - environment: variables to set on top of this process's environment.
///   - unsetting: variables to remove (e.g. `XBAR_INSTRUMENTS`, so a test sees the defaults).
///   - currentDirectory: the working folder; this process's when nil.
///   - killWhen: asked every 2 ms while the child runs; once it returns true the child is killed
///     with SIGKILL at once, as a crash or a power cut would end it.
/// - Throws: when the program cannot be started or its output not captured.
func runChild(_ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
              currentDirectory: URL? = nil, limit: Duration = .seconds(60),
              killWhen: (() -> Bool)? = nil) throws -> ChildRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    var env = ProcessInfo.processInfo.environment
    for name in unsetting { env.removeValue(forKey: name) }
    env.merge(environment) { $1 }
    process.environment = env

    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    defer { try? out.close(); try? err.close() }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice

    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    let start = ContinuousClock.now
    let deadline = start + limit
    try process.run()
    var killed = false
    while true {
        let left = deadline - ContinuousClock.now
        if left <= .zero {
            killed = true
            kill(process.processIdentifier, SIGTERM)
            if finished.wait(timeout: .now() + 1) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
            break
        }
        let slice = killWhen == nil ? left : min(left, .milliseconds(2))
        if finished.wait(timeout: .now() + slice.inSeconds) == .success { break }
        if let killWhen, killWhen() {
            killed = true
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
            break
        }
    }
    return ChildRun(command: [URL(fileURLWithPath: executable).lastPathComponent] + arguments,
                    status: process.terminationStatus,
                    standardOutput: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                    standardError: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                    elapsed: ContinuousClock.now - start, killed: killed)
}

private extension Duration {
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
