import Foundation
import Testing
import XbarStore

@Suite("What users type: tolerances, units, export formats, exit statuses")
struct TypedInputTests {
    /// A 64x64 target map in the usb-4x64 programmable range (1.95-70 uS), one in microsiemens by
    /// mistake, and all four weight tiles stacked.
    func writeTargets(_ lab: LabFolder) throws {
        let r = try lab.python("""
            import numpy
            rng = numpy.random.default_rng(3)
            numpy.save('t.npy', rng.uniform(5e-6, 60e-6, (64, 64)))
            numpy.save('micro.npy', rng.uniform(5, 60, (64, 64)))
            numpy.save('all.npy', rng.uniform(5e-6, 60e-6, (256, 64)))
            """)
        #expect(r.status == 0, "python3 with numpy writes the targets: \(r)")
    }

    @Test("--tolerance 1 (one siemens) is refused before a run starts, with the allowed range and a hint")
    func bareToleranceRefused() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--tolerance", "1"])
        #expect(r.status == 64, "\(r)")
        #expect(r.standardError.contains("--tolerance 1: 1 S is wider than a tenth of the programmable range"), "\(r)")
        // The usb-4x64 programmable range is 1.95-70 uS: a tenth of it is 6.81 uS.
        #expect(r.standardError.contains("up to 6.81e-06 S"), "\(r)")
        #expect(r.standardError.contains("did you mean 1% or 1uS?"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: lab.storePath), "a refused program run leaves no store behind")
    }

    @Test("100%, zero and negative tolerances are refused saying the allowed range", arguments: [
        ("100%", "up to 10% of the nominal range"), ("0", "must be above 0 S"), ("-1e-6", "must be above 0 S"), ("0%", "must be above 0%"),
    ])
    func toleranceRange(tolerance: String, message: String) throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        // Written without "=": a negative tolerance still reaches the check instead of reading as an option.
        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                             "--tolerance", tolerance])
        #expect(r.status == 64, "\(r)")
        #expect(r.standardError.contains("--tolerance \(tolerance): "), "\(r)")
        #expect(r.standardError.contains(message), "\(r)")
    }

    @Test("a target map in microsiemens is refused with the hint to multiply by 1e-6")
    func microsiemensTarget() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "micro.npy", "--tile", "0"])
        #expect(r.status != 0, "\(r)")
        #expect(r.standardError.contains("micro.npy: cell 0:0"), "\(r)")
        #expect(r.standardError.contains("look like microsiemens: multiply by 1e-6?"), "\(r)")
    }

    @Test("pulse takes --width 1us and --volts -1.8V (negative without '='), and refuses a width in siemens")
    func unitsOnPulse() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let ok = try lab.run(["pulse", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--cells", "0:3",
                              "--volts", "-1.8V", "--width", "1us"])
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.standardOutput.contains("of -1.8 V, 1e-06 s"), "\(ok)")
        let bad = try lab.run(["pulse", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--cells", "0:3",
                               "--volts", "2", "--width", "1uS"])
        #expect(bad.status == 64, "\(bad)")
        #expect(bad.standardError.contains("\"1uS\": \"uS\" is not an SI prefix (p n u m k M G) followed by s; expected seconds"), "\(bad)")
        let volts = try lab.run(["pulse", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--cells", "0:3",
                                 "--volts", "1.8ms", "--width", "1e-6"])
        #expect(volts.status == 64 && volts.standardError.contains("expected volts"), "\(volts)")
    }

    @Test("stm takes amplitudes and widths with units, and the tolerance takes 0.5uS")
    func unitsOnLists() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let stm = try lab.run(["stm", "--board", "sim", "--instrument", "usb-4x64", "--nodes", "0:0-3", "--amplitudes", "1.2V,1600mV",
                               "--widths", "1us", "--reads", "10", "--interval", "2ms", "-q"])
        #expect(stm.status == 0, "\(stm)")
        #expect(stm.standardOutput.contains("point 1: 1.6 V, 1e-06 s x 1"), "\(stm)")
        #expect(stm.standardError.isEmpty, "-q shows no progress: \(stm)")
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                   "--tolerance", "0.5uS", "-q"])
        #expect(program.status == 0, "\(program)")
        #expect(program.standardOutput.contains("tolerance 5e-07 S"), "\(program)")
    }

    @Test("cells are written ROW:COLUMN everywhere; the old R,C form is refused with the rewritten option")
    func cellAddresses() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let pulse = ["pulse", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--volts", "2V", "--width", "1us"]
        let old = try lab.run(pulse + ["--cells", "0,3;1,4"])
        #expect(old.status == 64, "\(old)")
        #expect(old.standardError.contains("--cells 0,3;1,4: a cell is written ROW:COLUMN; did you mean --cells 0:3,1:4?"), "\(old)")
        let backwards = try lab.run(pulse + ["--cells", "1:6-4"])
        #expect(backwards.standardError.contains("\"1:6-4\" runs backwards"), "\(backwards)")
        let outside = try lab.run(pulse + ["--cells", "0:3,70:1"])
        #expect(outside.status != 0 && outside.standardError.contains("cell 70:1 is outside"), "the board names the cell the way it is typed: \(outside)")
        let list = try lab.run(pulse + ["--cells", "0:3,1:4-6"])
        #expect(list.status == 0, "\(list)")
        #expect(list.standardOutput.contains("applied 4 cell-pulses"), "one cell and a run of three along row 1 make four cells: \(list.standardOutput)")
    }

    @Test("piped, program writes one progress line per tile on stderr and its results on stdout")
    func pipedProgress() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "all.npy"])
        #expect(r.status == 0, "\(r)")
        let lines = r.standardError.split(separator: "\n")
        // One line per tile, then one per relaxation pass over the four tiles and one for the read-back.
        #expect(lines.count == 7, "one line per stage and nothing else: \(r.standardError)")
        for (tile, line) in lines.prefix(4).enumerated() {
            #expect(line.hasPrefix("tile \(tile): 4096/4096 cells in "), "\(line)")
            #expect(line.hasSuffix(" cells/s)"), "\(line)")
        }
        for (line, stage) in zip(lines.dropFirst(4), ["relaxation pass 1", "relaxation pass 2", "read-back"]) {
            #expect(line.hasPrefix("\(stage): 4/4 tiles in "), "\(line)")
        }
        #expect(!r.standardOutput.contains("4096/4096"), "progress stays off stdout: \(r.standardOutput)")
        #expect(r.standardOutput.contains("run 1 completed"), "\(r)")
    }

    @Test("a program run below --min-yield prints its summary and exits with status 3; at or above it exits 0")
    func minimumYield() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        // Stuck cells (0.1-2 % on the usb-4x64 defaults) keep the yield below 100 %.
        let strict = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                  "--min-yield", "100%", "-q"])
        #expect(strict.status == 3, "\(strict)")
        #expect(strict.standardOutput.contains("tile 0: "), "the summary is printed: \(strict)")
        #expect(strict.standardError.contains("is below --min-yield 100%"), "\(strict)")
        #expect(try RunStore(path: lab.storePath).run(1).status == .completed)
        let lenient = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                   "--min-yield", "90%", "-q"])
        #expect(lenient.status == 0, "\(lenient)")
        let bad = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                               "--min-yield", "120%"])
        #expect(bad.status == 64 && bad.standardError.contains("expected a percentage from 0% to 100%"), "\(bad)")
    }

    @Test("runs export takes its format from --out and refuses a --format that disagrees, writing nothing")
    func exportFormat() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        #expect(try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "-q"]).status == 0)
        let mismatch = try lab.run(["runs", "export", "1", "--format", "npy", "--out", "x.csv"])
        #expect(mismatch.status == 64, "\(mismatch)")
        #expect(mismatch.standardError.contains("--format npy disagrees with --out x.csv, a .csv file"), "\(mismatch)")
        #expect(!FileManager.default.fileExists(atPath: lab.path("x.csv")))
        let unknown = try lab.run(["runs", "export", "1", "--out", "x.txt"])
        #expect(unknown.status == 64 && unknown.standardError.contains("name a .npy or .csv file"), "\(unknown)")
        let byExtension = try lab.run(["runs", "export", "1", "--out", "map.npy"])
        #expect(byExtension.status == 0, "\(byExtension)")
        let data = try #require(FileManager.default.contents(atPath: lab.path("map.npy")))
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)), "an .npy file is written")
    }

    @Test("--version prints the version")
    func version() throws {
        let r = try XbarExecutable.run(["--version"])
        #expect(r.status == 0, "\(r)")
        let printed = r.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.split(separator: ".").count == 3 && printed.allSatisfy { $0.isNumber || $0 == "." }, "\(r)")
    }
}
