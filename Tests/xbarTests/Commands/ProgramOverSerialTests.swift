import Foundation
import Testing
import XbarStore

@Suite("xbar program through the board emulator on a pseudo-terminal", .serialized)
struct ProgramOverSerialTests {
    func pulsesReported(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("board reports ") }) else { return nil }
        return Int(line.split(separator: " ")[2])
    }

    @Test("programming over the emulator, killed and resumed, applies every logged pulse at most once")
    func killAndResumeOverSerial() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let r = try lab.python("""
            import numpy
            numpy.save('t.npy', numpy.random.default_rng(2).uniform(2.5e-6, 65e-6, (64, 64)))
            """)
        #expect(r.status == 0, "\(r)")
        // Reached through --link, a stable name like a udev symlink, which the run records for --resume.
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5", "--link", link])
        defer { _ = emulator.stop() }
        let store = try RunStore(path: lab.storePath)
        let arguments = ["program", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--algorithm", "ispp"]
        let killed = try lab.run(arguments, limit: .seconds(180)) {
            ((try? store.operationCounts(run: 1))?.logged ?? 0) >= 8
        }
        #expect(killed.killed, "the run was killed mid-way: \(killed)")

        let resumed = try lab.run(["program", "--resume", "1"])
        #expect(resumed.status == 0, "\(resumed)")
        // The emulator outlived the killed process: its counter holds every pulse it applied. The
        // batch the kill left in doubt was settled through the reply cache under its own sequence
        // number, so the ledger holds exactly what the board applied, nothing twice.
        let reported = pulsesReported(resumed.standardOutput)
        #expect(reported == (try store.appliedPulses(run: 1)), "board counter \(String(describing: reported))")
        #expect(try store.journal(run: 1).allSatisfy { $0.state == .done }, "every operation was settled as run")
        let show = try lab.run(["runs", "show", "1"])
        #expect(show.standardOutput.contains("0 awaiting a result, 0 in doubt"), "\(show)")
        #expect(show.standardOutput.contains("session 0"), "\(show)")
        let outcomes = try store.outcomes(run: 1)
        #expect(outcomes.count == 4096)
        // The instrument's model has 0.5 % stuck cells; everything else converges.
        #expect(outcomes.filter { $0.outcome == "converged" }.count >= 4030)
        #expect(outcomes.filter { $0.outcome == "out_of_pulses" }.isEmpty)
    }
}
