import Foundation
import Testing

@Suite("--board sim:FILE keeps a simulated chip across commands; logs go to standard error at the asked level")
struct PersistentSimulationTests {
    /// Programs a 64x64 map to `--board board` and reads it back with `--board readBoard`,
    /// returning the read map's mean absolute error to the targets (siemens) and the read run.
    func programThenRead(_ lab: LabFolder, board: String, readBoard: String) throws -> (error: Double, read: ChildRun) {
        let write = try lab.python("""
            import numpy
            numpy.save('t.npy', numpy.random.default_rng(4).uniform(5e-6, 60e-6, (64, 64)))
            """)
        #expect(write.status == 0, "\(write)")
        let program = try lab.run(["program", "--board", board, "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--tolerance", "2%"])
        #expect(program.status == 0, "\(program)")
        let read = try lab.run(["read", "--board", readBoard, "--instrument", "usb-4x64", "--tile", "0", "--averages", "8", "--out", "read.npy"])
        #expect(read.status == 0, "\(read)")
        let compare = try lab.python("""
            import numpy
            print(numpy.abs(numpy.load('read.npy') - numpy.load('t.npy')).mean())
            """)
        return (Double(compare.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan, read)
    }

    @Test("what program writes to sim:FILE, read finds there; a fresh sim chip holds none of it and read says so")
    func keptAcrossCommands() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let kept = try programThenRead(lab, board: "sim:chip.state", readBoard: "sim:chip.state")
        // 2 % of 5-60 uS is at most 1.2 uS; relaxation and read noise add a little.
        #expect(kept.error < 1.5e-6, "the kept chip reads back the programmed map: mean error \(kept.error) S")
        #expect(!kept.read.standardError.contains("fresh simulated chip"), "\(kept.read)")
        #expect(FileManager.default.fileExists(atPath: lab.path("chip.state")))

        let fresh = try lab.run(["read", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--out", "fresh.npy"])
        #expect(fresh.status == 0, "\(fresh)")
        #expect(fresh.standardError.contains("warning: --board sim is a fresh simulated chip: it holds nothing of programming run 1"), "\(fresh)")
        #expect(fresh.standardError.contains("--board sim:FILE"), "\(fresh)")
        let freshError = try lab.python("""
            import numpy
            print(numpy.abs(numpy.load('fresh.npy') - numpy.load('t.npy')).mean())
            """)
        let error = Double(freshError.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(error > 5 * kept.error, "a fresh chip is far from the map: \(error) S against \(kept.error) S")
    }

    @Test("a chip state saved with another seed is refused, naming the file and both seeds")
    func otherSeedRefused() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let first = try lab.run(["read", "--board", "sim:chip.state", "--instrument", "serial-32x32", "--out", "a.npy"])
        #expect(first.status == 0, "\(first)")
        let other = try lab.run(["read", "--board", "sim:chip.state", "--instrument", "serial-32x32", "--seed", "9", "--out", "b.npy"])
        #expect(other.status != 0)
        #expect(other.standardError.contains("chip state chip.state: saved from instrument serial-32x32 seed 1; this board is serial-32x32 seed 9"), "\(other)")
    }

    @Test("resends over a lossy link are logged on standard error: warnings by default, none with -q, never among JSON results")
    func logLevels() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let read = ["read", "--board", "sim", "--instrument", "serial-32x32", "--faults", "drop=0.5,seed=2", "--link-timeout", "50ms", "--link-retries", "30"]
        let plain = try lab.run(read + ["--out", "a.npy"])
        #expect(plain.status == 0, "\(plain)")
        #expect(plain.standardError.contains("retrying READ"), "a resend is a warning, shown by default: \(plain)")
        #expect(!plain.standardOutput.contains("retrying"), "\(plain)")
        let quiet = try lab.run(read + ["--out", "b.npy", "-q"])
        #expect(quiet.status == 0 && !quiet.standardError.contains("retrying"), "\(quiet)")
        let json = try lab.run(read + ["--out", "c.npy", "--json", "-v"])
        #expect(json.status == 0 && json.standardError.contains("retrying READ"), "\(json)")
        for line in json.standardOutput.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "stdout holds JSON lines only: \(line)")
        }
    }
}
