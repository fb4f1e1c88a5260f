import Foundation
import Testing
import XbarStore

/// Programming through the board emulator in another process, over a pseudo-terminal, with the
/// emulator's own link faults, kills of the programming process and restarts of the emulator.
/// The usb-4x64 tile 0 with the adaptive algorithm takes about 16 operations, so a run is short.
@Suite("exactly-once programming through a faulty emulator, kills and board restarts", .serialized)
struct ExactlyOnceOverSerialTests {
    /// The board's counter since the emulator started, as `xbar program` prints it at the end.
    static func boardCounter(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("board reports ") }) else { return nil }
        return Int(line.split(separator: " ")[2])
    }

    static func writeTarget(_ lab: LabFolder, rows: Int = 64) throws {
        let r = try lab.python("""
            import numpy
            numpy.save('t.npy', numpy.random.default_rng(2).uniform(2.5e-6, 65e-6, (\(rows), 64)))
            """)
        #expect(r.status == 0, "\(r)")
    }

    static let program = ["program", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--link-timeout", "0.3"]

    @Test("through 5 % dropped and 2 % damaged frames both ways, a run ends with the outcomes of a clean link and board counter = ledger")
    func lightFaults() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try Self.writeTarget(lab)
        let store = try RunStore(path: lab.storePath)
        var counters: [Int] = []
        for faults in [[], ["--faults", "drop=0.05,corrupt=0.02,seed=7"]] {
            let link = lab.path("board")
            let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5", "--link", link] + faults)
            defer { _ = emulator.stop() }
            let run = try lab.run(Self.program + ["--board", "serial:\(link)"], limit: .seconds(120))
            try #require(run.status == 0, "\(run)")
            counters.append(try #require(Self.boardCounter(run.standardOutput)))
        }
        let clean = try store.outcomes(run: 1), faulty = try store.outcomes(run: 2)
        try #require(clean.count == 4096 && faulty.count == 4096)
        // Retried frames are answered from the reply cache, so the board saw the same requests:
        // the same outcome, pulse count and final conductance for every cell.
        #expect(clean == faulty)
        #expect(counters[0] == (try store.appliedPulses(run: 1)))
        #expect(counters[1] == (try store.appliedPulses(run: 2)))
        #expect(counters[0] == counters[1])
    }

    @Test("through 20 % dropped and 5 % damaged frames a run completes or stops resumably, and ends with board counter = ledger")
    func heavyFaults() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try Self.writeTarget(lab)
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64",
                                                extraArguments: ["--seed", "5", "--link", link, "--faults", "drop=0.2,corrupt=0.05,seed=11"])
        defer { _ = emulator.stop() }
        var run = try lab.run(Self.program + ["--board", "serial:\(link)"], limit: .seconds(240))
        var resumes = 0
        while run.status != 0 && resumes < 4 {
            #expect(run.standardError.contains("resume it with: xbar program --resume 1"), "\(run)")
            resumes += 1
            run = try lab.run(["program", "--resume", "1", "--link-timeout", "0.3"], limit: .seconds(240))
        }
        try #require(run.status == 0, "after \(resumes) resumes: \(run)")
        let store = try RunStore(path: lab.storePath)
        #expect(try store.run(1).status == .completed)
        // The emulator served this run alone: its counter since start is the run's applied pulses.
        #expect(Self.boardCounter(run.standardOutput) == (try store.appliedPulses(run: 1)))
        #expect(try store.outcomes(run: 1).filter { $0.outcome == "converged" }.count >= 4030)
    }

    @Test("SIGKILL of xbar program at random moments: every resume settles the batch in doubt and ends with board counter = ledger")
    func killsAtRandomMoments() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try Self.writeTarget(lab)
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5", "--link", link])
        defer { _ = emulator.stop() }
        let store = try RunStore(path: lab.storePath)
        var generator = SystemRandomNumberGenerator()
        let trials = 5
        var killed = 0
        var runs: [Int64] = []
        for trial in 1...trials {
            let moment = ContinuousClock.now + .milliseconds(Int.random(in: 150...900, using: &generator))
            let first = try lab.run(Self.program + ["--board", "serial:\(link)"], limit: .seconds(120)) { ContinuousClock.now >= moment }
            // A kill that lands before the run is recorded (a loaded machine starts slowly) leaves
            // no run and no pulse: nothing to resume, and the run ids move on without it.
            guard let id = try store.runs().map(\.id).filter({ !runs.contains($0) }).max() else {
                #expect(first.killed, "trial \(trial) recorded no run without being killed: \(first)")
                continue
            }
            runs.append(id)
            // A kill that lands after the run recorded its end (while it prints its summary) leaves
            // nothing to resume; the counter check below still covers that run.
            if first.killed, try store.run(id).status != .completed {
                killed += 1
                let resumed = try lab.run(["program", "--resume", "\(id)"], limit: .seconds(120))
                try #require(resumed.status == 0, "trial \(trial), run \(id): \(resumed)")
                #expect(resumed.standardOutput.contains("pulse counter and ledger agree"), "\(resumed)")
            }
            #expect(try store.run(id).status == .completed)
            #expect(try store.journal(run: id).allSatisfy { $0.state != .intent })
        }
        // One emulator served every trial: its counter is the sum of every run's applied pulses.
        let total = try runs.reduce(0) { $0 + (try store.appliedPulses(run: $1)) }
        let status = try lab.run(["program", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "1"], limit: .seconds(120))
        try #require(status.status == 0, "\(status)")
        let last = try #require(try store.runs().map(\.id).max())
        #expect(Self.boardCounter(status.standardOutput) == total + (try store.appliedPulses(run: last)))
        #expect(killed >= 1, "at least one trial was killed before it finished")
    }

    /// Programs the four weight tiles, kills the emulator after tile 1 has started, starts it
    /// again (with or without its chip state), resumes, and reads the array back.
    func restartMidRun(keepingState: Bool) throws -> (resumed: ChildRun, readBack: [String: Double]) {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try Self.writeTarget(lab, rows: 256)
        let link = lab.path("board")
        let state = keepingState ? ["--state", lab.path("chip.state")] : []
        var emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5", "--link", link] + state)
        let store = try RunStore(path: lab.storePath)
        let first = try lab.run(["program", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--target", "t.npy",
                                 "--link-timeout", "0.3", "--link-retries", "1"], limit: .seconds(120)) {
            if (try? store.journal(run: 1))?.contains(where: { $0.operation.tile == 1 && $0.state == .done }) == true { emulator.kill() }
            return false
        }
        #expect(first.status != 0, "the run stopped when the board went away: \(first)")
        emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5", "--link", link] + state)
        defer { _ = emulator.stop() }
        let resumed = try lab.run(["program", "--resume", "1"], limit: .seconds(120))
        try #require(resumed.status == 0, "\(resumed)")
        let read = try lab.run(["read", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--out", "back.npy", "--averages", "64"], limit: .seconds(60))
        try #require(read.status == 0, "\(read)")
        // Per tile: converged cells by the run's records, and how many of them read back within 2 uS of target.
        let check = try lab.python("""
            import numpy, sqlite3
            back = numpy.load('back.npy'); target = numpy.load('t.npy')
            db = sqlite3.connect('\(lab.storePath)')
            for tile in range(4):
                cells = db.execute("SELECT row, \\"column\\" FROM outcomes WHERE run_id = 1 AND tile = ? AND outcome = 'converged'", (tile,)).fetchall()
                ok = sum(abs(back[tile * 64 + r, c] - target[tile * 64 + r, c]) <= 2e-6 for r, c in cells)
                print(f"converged{tile} {len(cells)}"); print(f"confirmed{tile} {ok}")
            """)
        try #require(check.status == 0, "\(check)")
        var figures: [String: Double] = [:]
        for line in check.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { figures[String(parts[0])] = v }
        }
        return (resumed, figures)
    }

    @Test("an emulator restarted with its chip state mid-run: the resume detects the new session and ends with a map the read-back confirms")
    func restartKeepingState() throws {
        let (resumed, figures) = try restartMidRun(keepingState: true)
        #expect(resumed.standardOutput.contains("board session changed"), "\(resumed)")
        // The chip kept tile 0: the read-back reprograms at most the few cells relaxation moved.
        let lost = resumed.standardOutput.split(separator: "\n").first { $0.contains("tile 0:") && $0.contains("programmed again") }
        #expect((lost.flatMap { Int($0.split(separator: " ")[4]) } ?? 0) < 200, "\(resumed)")
        for tile in 0..<4 {
            let converged = try #require(figures["converged\(tile)"]), confirmed = try #require(figures["confirmed\(tile)"])
            #expect(converged >= 4000, "tile \(tile)")
            // Relaxation since each tile's last verify and read noise move a few cells: an undisturbed
            // run of this map reads back 97.3 % (tile 0, programmed first) to 99.9 % (tile 3) of its
            // converged cells within 2 uS at 64 averages. A lost map confirms almost none.
            #expect(confirmed >= 0.95 * converged, "tile \(tile): \(confirmed) of \(converged) converged cells read back within 2 uS")
        }
    }

    @Test("an emulator restarted without its chip state mid-run: the resume detects it, reprograms the lost tiles and the read-back confirms them")
    func restartLosingState() throws {
        let (resumed, figures) = try restartMidRun(keepingState: false)
        #expect(resumed.standardOutput.contains("board session changed"), "\(resumed)")
        // Tile 0 was complete before the restart and came back as a fresh chip: nearly every cell was lost.
        let lost = resumed.standardOutput.split(separator: "\n").first { $0.contains("tile 0:") && $0.contains("programmed again") }
        let lostCount = try #require(lost.flatMap { Int($0.split(separator: " ")[4]) }, "\(resumed)")
        #expect(lostCount >= 3500)
        for tile in 0..<4 {
            let converged = try #require(figures["converged\(tile)"]), confirmed = try #require(figures["confirmed\(tile)"])
            #expect(converged >= 4000, "tile \(tile)")
            #expect(confirmed >= 0.95 * converged, "tile \(tile): \(confirmed) of \(converged) converged cells read back within 2 uS")
        }
    }
}

@Suite("the emulator's planned restart", .serialized)
struct PlannedRestartTests {
    @Test("sim --faults reset-after=N with --state: the run stops naming the restart, and the resume reads back, finds the chip kept and completes")
    func resetAfter() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try ExactlyOnceOverSerialTests.writeTarget(lab)
        let link = lab.path("board")
        // Opening takes 2 requests and the run's first STATUS 1: the board restarts after the 10th batch or read.
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: [
            "--seed", "5", "--link", link, "--state", lab.path("chip.state"), "--faults", "reset-after=13"])
        defer { _ = emulator.stop() }
        let first = try lab.run(ExactlyOnceOverSerialTests.program + ["--board", "serial:\(link)"], limit: .seconds(120))
        #expect(first.status != 0)
        #expect(first.standardError.contains("the board restarted during the run"), "\(first)")
        let resumed = try lab.run(["program", "--resume", "1"], limit: .seconds(120))
        try #require(resumed.status == 0, "\(resumed)")
        #expect(resumed.standardOutput.contains("board session changed"), "\(resumed)")
        let store = try RunStore(path: lab.storePath)
        #expect(try store.boardSessions(run: 1).count == 2)
        #expect(try store.outcomes(run: 1).filter { $0.outcome == "converged" }.count >= 4030)
        // The second session's counter gain equals the ledger's gain in it (checked by the run's end).
        #expect(resumed.standardOutput.contains("pulse counter and ledger agree"))
    }
}

@Suite("resuming a run on a board that moved", .serialized)
struct ResumeOnMovedBoardTests {
    @Test("--resume RUN --board ADDR continues on the same board at another path, and refuses a board of another serial number")
    func movedBoard() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try ExactlyOnceOverSerialTests.writeTarget(lab)
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5", "--link", link])
        defer { _ = emulator.stop() }
        let store = try RunStore(path: lab.storePath)
        let killed = try lab.run(ExactlyOnceOverSerialTests.program + ["--board", "serial:\(link)"], limit: .seconds(120)) {
            ((try? store.operationCounts(run: 1))?.logged ?? 0) >= 4
        }
        #expect(killed.killed, "\(killed)")
        // The recorded path is gone (as a renamed device); the device itself is still there.
        try FileManager.default.removeItem(atPath: link)
        let stale = try lab.run(["program", "--resume", "1"], limit: .seconds(60))
        #expect(stale.status != 0)

        // A chip of another serial number at the new path is refused before anything is sent.
        let forged = try lab.python("""
            import sqlite3
            db = sqlite3.connect('\(lab.storePath)'); db.execute("UPDATE runs SET board_serial = 'SN-OTHER' WHERE id = 1"); db.commit()
            """)
        try #require(forged.status == 0, "\(forged)")
        let other = try lab.run(["program", "--resume", "1", "--board", "serial:\(emulator.devicePath)"], limit: .seconds(60))
        #expect(other.status != 0)
        #expect(other.standardError.contains("serial SN-OTHER") && other.standardError.contains("not resuming on another chip"), "\(other)")
        let logged = try store.operationCounts(run: 1).logged

        let restored = try lab.python("""
            import sqlite3
            db = sqlite3.connect('\(lab.storePath)'); db.execute("UPDATE runs SET board_serial = 'SIM-0001' WHERE id = 1"); db.commit()
            """)
        try #require(restored.status == 0, "\(restored)")
        #expect(try store.operationCounts(run: 1).logged == logged, "the refused resume sent nothing")
        let moved = try lab.run(["program", "--resume", "1", "--board", "serial:\(emulator.devicePath)"], limit: .seconds(120))
        try #require(moved.status == 0, "\(moved)")
        #expect(moved.standardOutput.contains("is now at serial:\(emulator.devicePath)"))
        #expect(moved.standardOutput.contains("pulse counter and ledger agree"))
        #expect(try store.run(1).draft.backend == "serial:\(emulator.devicePath)")
    }
}

@Suite("link options and the in-process board's faults")
struct LinkOptionTests {
    @Test("--link-timeout and --link-retries out of range are refused naming the option", arguments: [
        (["--link-timeout", "0"], "--link-timeout"), (["--link-timeout", "1e300"], "--link-timeout"),
        (["--link-retries", "101"], "--link-retries"), (["--link-retries", "-1"], "--link-retries"),
        (["--faults", "drop=2"], "drop=2"),
    ])
    func refused(extra: [String], named: String) throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let run = try lab.run(["identify", "--board", "sim", "--instrument", "usb-4x64"] + extra, limit: .seconds(30))
        #expect(run.status != 0)
        #expect(run.standardError.contains(named), "\(run)")
    }

    @Test("--board sim --faults: programming through the in-process faulty link, killed and resumed, ends with board counter = ledger")
    func inProcessFaults() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try ExactlyOnceOverSerialTests.writeTarget(lab)
        let run = try lab.run(["program", "--board", "sim", "--faults", "drop=0.05,corrupt=0.02,seed=4", "--link-timeout", "0.2",
                               "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0"], limit: .seconds(120))
        try #require(run.status == 0, "\(run)")
        let store = try RunStore(path: lab.storePath)
        #expect(ExactlyOnceOverSerialTests.boardCounter(run.standardOutput) == (try store.appliedPulses(run: 1)))
        #expect(try store.outcomes(run: 1).filter { $0.outcome == "converged" }.count >= 4030)
    }
}
