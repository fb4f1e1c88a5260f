import ArgumentParser
import Foundation
import XbarDevice
import XbarJobs
import XbarStore

/// Exactly-once programming against the board emulator in another process: SIGKILLs of
/// `xbar program` at random moments, links that drop and damage frames, and emulator restarts
/// with and without the chip's state. Prints, per trial, what the board's pulse counter and the
/// run's ledger say.
struct ExactlyOnceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exactly-once",
        abstract: "Kills, faulty links and board restarts: board pulse counter against the ledger.",
        discussion: """
            Starts `xbar sim --pty` (found beside this program) and programs the usb-4x64 tile 0 \
            (adaptive, 64x64) over its pseudo-terminal. Run in a release build:
              swift build -c release && .build/release/xbar-bench exactly-once --trials 20
            """)

    @Option(help: "SIGKILL trials: runs killed before they finished (runs that finish first are run again).")
    var trials = 20

    @Option(help: "Runs at each fault level.")
    var faultRuns = 3

    func run() throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let xbar = here.appendingPathComponent("xbar").path
        guard FileManager.default.isExecutableFile(atPath: xbar) else {
            throw ValidationError("xbar is not built beside xbar-bench (\(xbar)); run swift build -c release first")
        }
        guard trials >= 1, trials <= 10_000, faultRuns >= 0, faultRuns <= 100 else {
            throw ValidationError("--trials must be 1 to 10000 and --fault-runs 0 to 100")
        }
        guard let instruments = LinkBenchmark.repositoryFile("instruments") else {
            throw ValidationError("the repository's instruments folder was not found; run from the repository")
        }
        let lab = try Lab(xbar: xbar, instruments: instruments)
        defer { lab.cleanup() }
        try lab.writeTarget("target.csv", rows: 256)
        try lab.writeTarget("tile.csv", rows: 64)
        try kills(lab)
        try faults(lab)
        try restarts(lab)
    }

    // MARK: Kills

    func kills(_ lab: Lab) throws {
        let store = try lab.store()
        let programArgs = { (device: String) in
            ["program", "--board", "serial:\(device)", "--instrument", "usb-4x64", "--target", "tile.csv", "--tile", "0"]
        }
        // How long an undisturbed run takes here: kills fall anywhere within it.
        let timing = try EmulatorChild(xbar: lab.xbar, extraArguments: ["--seed", "5"])
        let started = Date()
        _ = try lab.xbarRun(programArgs(timing.devicePath))
        let duration = Date().timeIntervalSince(started)
        timing.stop()
        say("== SIGKILL of `xbar program --tile 0` (an undisturbed run takes \(String(format: "%.2f", duration)) s here) at U(0.05, 0.95) of that, "
            + "then `xbar program --resume RUN`; a fresh emulator (seed 5) per trial, its counter read after the resume")
        var generator = SystemRandomNumberGenerator()
        var killedCount = 0, mismatches = 0, pulses = 0
        var settledBy: [String: Int] = [:]
        say("trial  killed at  logged  in-doubt settled by      emulator counter  ledger  difference")
        // Runs that finish before their kill moment do not count as trials; at most 3x as many runs.
        var trial = 0
        while killedCount < trials && trial < 3 * trials {
            trial += 1
            let emulator = try EmulatorChild(xbar: lab.xbar, extraArguments: ["--seed", "5"])
            defer { emulator.stop() }
            let delay = duration * Double.random(in: 0.05...0.95, using: &generator)
            let first = try lab.xbarRun(programArgs(emulator.devicePath), killAfter: delay)
            let runID = try store.runs(limit: 1).first?.id ?? 0
            let logged = try store.operationCounts(run: runID).logged
            var settled = "(finished first)"
            var final = first
            if first.killed {
                killedCount += 1
                final = try lab.xbarRun(["program", "--resume", "\(runID)"])
                if final.output.contains("settled by the board's reply cache") {
                    settled = "reply cache"
                } else if let line = final.output.split(separator: "\n").first(where: { $0.contains("settled by the pulse counter") }) {
                    settled = "counter: " + (line.split(separator: " ").last.map(String.init) ?? "?")
                } else {
                    settled = "(nothing in doubt)"
                }
                settledBy[settled, default: 0] += 1
            }
            let counter = Int(try lab.boardCounter(emulator.devicePath))
            let ledger = try store.appliedPulses(run: runID)
            pulses += ledger
            let completed = final.status == 0
            if !completed || counter != ledger { mismatches += 1 }
            say(pad("\(trial)", 5) + "  " + pad(first.killed ? String(format: "%.2f s", delay) : "-", 9) + "  " + pad("\(logged)", 6) + "  "
                + pad(settled, 22, left: true) + "  " + pad("\(counter)", 16) + "  " + pad("\(ledger)", 6) + "  " + pad("\(counter - ledger)", 10)
                + (completed ? "" : "  RUN FAILED: " + (final.output.split(separator: "\n").first { $0.contains("Error") }.map(String.init) ?? final.output)))
        }
        say("killed \(killedCount) of \(trial) runs; in doubt settled by: \(settledBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        say("\(pulses) cell-pulses in all; runs that failed or where counter != ledger: \(mismatches)")
    }

    /// Board and ledger gains from `xbar program`'s closing line.
    static func agreement(_ output: String) -> (Int, Int)? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("pulse counter and ledger agree") }) else { return nil }
        let words = line.split(separator: " ")
        guard let b = words.first(where: { $0.hasPrefix("+") }), let i = words.firstIndex(of: b),
              let l = words[(i + 1)...].first(where: { $0.hasPrefix("+") }),
              let bv = Int(b.dropFirst().trimmingCharacters(in: .punctuationCharacters)),
              let lv = Int(l.dropFirst().trimmingCharacters(in: .punctuationCharacters)) else { return nil }
        return (bv, lv)
    }

    // MARK: Faults

    func faults(_ lab: Lab) throws {
        guard faultRuns > 0 else { return }
        say("== Faulty links: the emulator drops and damages frames both ways; --link-timeout 0.3")
        let store = try lab.store()
        let clean = try program(lab, faults: nil, store: store).outcomes
        say("fault level            run  result               resumes  board counter  ledger  difference  outcomes as on a clean link")
        for level in ["drop=0.05,corrupt=0.02", "drop=0.2,corrupt=0.05"] {
            for k in 1...faultRuns {
                let r = try program(lab, faults: "\(level),seed=\(k)", store: store)
                say(pad(level, 22, left: true) + " " + pad("\(k)", 4) + "  " + pad(r.result, 20, left: true) + " " + pad("\(r.resumes)", 7)
                    + "  " + pad("\(r.counter)", 13) + "  " + pad("\(r.ledger)", 6) + "  " + pad("\(r.counter - r.ledger)", 10)
                    + "  " + (r.outcomes == clean ? "same, every cell" : "DIFFERENT"))
            }
        }
    }

    struct FaultRun {
        var result: String
        var resumes: Int
        var counter: Int
        var ledger: Int
        var outcomes: [CellOutcomeRecord]
    }

    func program(_ lab: Lab, faults: String?, store: RunStore) throws -> FaultRun {
        let emulator = try EmulatorChild(xbar: lab.xbar, extraArguments: ["--seed", "5"] + (faults.map { ["--faults", $0] } ?? []))
        defer { emulator.stop() }
        var run = try lab.xbarRun(["program", "--board", "serial:\(emulator.devicePath)", "--instrument", "usb-4x64",
                                   "--target", "tile.csv", "--tile", "0", "--link-timeout", "0.3"])
        let id = try store.runs(limit: 1).first?.id ?? 0
        var resumes = 0
        while run.status != 0 && resumes < 5 {
            resumes += 1
            run = try lab.xbarRun(["program", "--resume", "\(id)", "--link-timeout", "0.3"])
        }
        let counter = Int(try lab.boardCounter(emulator.devicePath))
        return FaultRun(result: run.status == 0 ? (resumes == 0 ? "completed" : "stopped, resumed") : "FAILED",
                        resumes: resumes, counter: counter, ledger: try store.appliedPulses(run: id),
                        outcomes: try store.outcomes(run: id))
    }

    // MARK: Restarts

    func restarts(_ lab: Lab) throws {
        say("== Emulator killed mid-run (4 tiles, after tile 1 started), started again, run resumed, array read back (64 averages)")
        say("chip state  tile  converged  read back within 2 uS  reprogrammed after the restart")
        for keep in [true, false] {
            let store = try lab.store()
            let statePath = lab.path("chip-\(UUID().uuidString).state")
            let extra = ["--seed", "5"] + (keep ? ["--state", statePath] : [])
            var emulator = try EmulatorChild(xbar: lab.xbar, extraArguments: extra)
            let before = try store.runs(limit: 1).first?.id ?? 0
            let runArgs = ["program", "--board", "serial:\(emulator.devicePath)", "--instrument", "usb-4x64", "--target", "target.csv",
                           "--link-timeout", "0.3", "--link-retries", "1"]
            let child = try lab.start(runArgs)
            var id: Int64 = before
            while child.process.isRunning {
                usleep(2000)
                id = try store.runs(limit: 1).first?.id ?? before
                if id != before, try store.journal(run: id).contains(where: { $0.operation.tile == 1 && $0.state == .done }) {
                    emulator.kill()
                    break
                }
            }
            child.process.waitUntilExit()
            emulator = try EmulatorChild(xbar: lab.xbar, extraArguments: extra)
            defer { emulator.stop() }
            // The resumed run reaches the board where it is now.
            let resumed = try lab.xbarRun(["program", "--resume", "\(id)", "--board", "serial:\(emulator.devicePath)"])
            let read = try lab.xbarRun(["read", "--board", "serial:\(emulator.devicePath)", "--instrument", "usb-4x64",
                                        "--out", "back.npy", "--averages", "64"])
            guard resumed.status == 0, read.status == 0 else {
                say("resume or read failed:\n\(resumed.output)\n\(read.output)")
                continue
            }
            let back = try NPYFile.read(path: lab.path("back.npy")).siemens
            let target = try ConductanceMap.load(path: lab.path("target.csv")).siemens
            let outcomes = try store.outcomes(run: id)
            for tile in 0..<4 {
                let converged = outcomes.filter { $0.tile == tile && $0.outcome == "converged" }
                let confirmed = converged.filter { abs(back[(tile * 64 + $0.row) * 64 + $0.column] - target[(tile * 64 + $0.row) * 64 + $0.column]) <= 2e-6 }
                let lost = resumed.output.split(separator: "\n").first { $0.contains("tile \(tile):") && $0.contains("programmed again") }
                    .flatMap { Int($0.split(separator: " ")[4]) } ?? 0
                say(pad(keep ? "kept" : "lost", 10, left: true) + "  " + pad("\(tile)", 4) + "  " + pad("\(converged.count)", 9) + "  "
                    + pad("\(confirmed.count)", 21) + "  \(lost)")
            }
        }
    }
}

/// `text` padded with spaces to `width` characters, on the left (right-aligned) unless `left`.
func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return left ? text + fill : fill + text
}

/// A scratch lab folder with its own run store, where the benchmark runs `xbar`.
final class Lab {
    let xbar: String
    let instruments: String
    let folder: URL

    init(xbar: String, instruments: String) throws {
        self.xbar = xbar
        self.instruments = instruments
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: folder) }
    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    func store() throws -> RunStore { try RunStore(path: path("lab.sqlite")) }

    /// A target map of `rows` x 64 (64: one tile; 256: the four weight tiles stacked), uniform
    /// in 2.5...65 uS, seed 2.
    func writeTarget(_ name: String, rows: Int) throws {
        var random = Xoshiro256StarStar(seed: 2)
        let values = (0..<rows * 64).map { _ in 2.5e-6 + (65e-6 - 2.5e-6) * random.nextOpenUnit() }
        try ConductanceMap(rows: rows, columns: 64, siemens: values).save(path: path(name))
    }

    func start(_ arguments: [String]) throws -> (process: Process, output: URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xbar)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env["XBAR_STORE"] = path("lab.sqlite")
        env["XBAR_INSTRUMENTS"] = instruments
        process.environment = env
        let output = folder.appendingPathComponent("out-\(UUID().uuidString).txt")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw ValidationError("cannot create \(output.path) for the output of xbar")
        }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, output)
    }

    /// Runs `xbar`; with `killAfter` it is SIGKILLed after that many seconds if still running.
    func xbarRun(_ arguments: [String], killAfter: Double? = nil) throws -> (status: Int32, output: String, killed: Bool) {
        let (process, output) = try start(arguments)
        var killed = false
        if let killAfter {
            let deadline = Date().addingTimeInterval(killAfter)
            while process.isRunning && Date() < deadline { usleep(1000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (process.terminationStatus, text, killed)
    }

    /// The emulator's pulse counter (cell-pulses since it started), by STATUS through `xbar`.
    func boardCounter(_ device: String) throws -> UInt64 {
        let run = try xbarRun(["identify", "--board", "serial:\(device)", "--instrument", "usb-4x64"])
        guard let line = run.output.split(separator: "\n").first(where: { $0.hasPrefix("session") }),
              let n = line.split(separator: " ").compactMap({ UInt64($0) }).last else {
            throw ValidationError("xbar identify printed no pulse counter:\n\(run.output)")
        }
        return n
    }
}
