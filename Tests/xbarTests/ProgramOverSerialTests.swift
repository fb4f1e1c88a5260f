import Foundation
import Testing
import XbarStore

@Suite("xbar program through the board emulator on a pseudo-terminal", .serialized)
struct ProgramOverSerialTests {
    /// Starts `xbar sim --pty` with a symlink in the tool's folder; the caller terminates it.
    func startEmulator(_ tool: XbarTool, seed: Int) throws -> (Process, String) {
        let link = tool.folder.appendingPathComponent("board").path
        let (emulator, _) = try tool.process(["sim", "--pty", "--instrument", "usb-4x64", "--seed", String(seed), "--link", link])
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: link) && emulator.isRunning && Date() < deadline { usleep(10_000) }
        guard FileManager.default.fileExists(atPath: link) else {
            emulator.terminate()
            throw CLIError("xbar sim --pty did not create \(link) within 30 s")
        }
        return (emulator, link)
    }

    func pulsesReported(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("board reports ") }) else { return nil }
        return Int(line.split(separator: " ")[2])
    }

    @Test("programming over the emulator, killed and resumed, applies every logged pulse at most once")
    func killAndResumeOverSerial() throws {
        let tool = try XbarTool()
        defer { tool.cleanup() }
        let r = try tool.python("""
            import numpy
            numpy.save('t.npy', numpy.random.default_rng(2).uniform(2.5e-6, 65e-6, (64, 64)))
            """)
        #expect(r.status == 0, "\(r.output)")
        let (emulator, link) = try startEmulator(tool, seed: 5)
        defer {
            emulator.terminate()
            emulator.waitUntilExit()
        }
        let store = try RunStore(path: tool.folder.appendingPathComponent("lab.sqlite").path)
        let arguments = ["program", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--algorithm", "ispp"]
        let (child, out) = try tool.process(arguments)
        let deadline = Date().addingTimeInterval(180)
        var killed = false
        while child.isRunning && Date() < deadline {
            if let counts = try? store.operationCounts(run: 1), counts.logged >= 8 {
                kill(child.processIdentifier, SIGKILL)
                killed = true
                break
            }
            usleep(2_000)
        }
        child.waitUntilExit()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        #expect(killed, "the run was killed mid-way")

        let resumed = try tool.run(["program", "--resume", "1"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let counts = try store.pulseCounts(run: 1)
        let done = counts[.done] ?? 0, doubtful = counts[.inDoubt] ?? 0
        // The emulator outlived the killed process: its counter holds every pulse it applied.
        // An in-doubt batch was applied once or not at all; nothing was applied twice.
        let reported = pulsesReported(resumed.output)
        #expect(reported == done || reported == done + doubtful, "board counter \(String(describing: reported)), ledger \(done) done + \(doubtful) in doubt")
        let outcomes = try store.outcomes(run: 1)
        #expect(outcomes.count == 4096)
        // The instrument's model has 0.5 % stuck cells; everything else converges.
        #expect(outcomes.filter { $0.outcome == "converged" }.count >= 4030)
        #expect(outcomes.filter { $0.outcome == "out_of_pulses" }.isEmpty)
    }
}
