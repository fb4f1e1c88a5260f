import Foundation
import Testing
import XbarStore

@Suite("xbar program, read and runs", .serialized)
struct ProgramCommandTests {
    /// A 64x64 target map uniform in the usb-4x64 programmable range (1.95-70 uS), saved by NumPy.
    func writeTargets(_ lab: LabFolder) throws {
        let r = try lab.python("""
            import numpy
            rng = numpy.random.default_rng(1)
            numpy.save('t.npy', rng.uniform(2.5e-6, 65e-6, (64, 64)))
            a = rng.uniform(2.5e-6, 65e-6, (64, 64)); a[5, 9] = float('nan'); numpy.save('nan.npy', a)
            a = rng.uniform(2.5e-6, 65e-6, (64, 64)); a[10, 2] = 1e-3; numpy.save('high.npy', a)
            numpy.save('shape.npy', rng.uniform(2.5e-6, 65e-6, (60, 64)))
            open('corrupt.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + b'x' * 20)
            """)
        #expect(r.status == 0, "python3 with numpy writes the targets: \(r)")
    }

    @Test("a calibration file made in another store programs a chip recorded in this one: registered here, naming no run of the other")
    func calibrationFromAnotherStore() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let calibration = lab.path("cal.json")
        let made = try lab.run(["calibrate", "--board", "sim", "--instrument", "usb-4x64", "--seed", "8", "--cell-count", "8",
                                "--node-count", "8", "--periphery-tile", "3", "--out", calibration,
                                "--store", lab.path("calibration-lab.sqlite")])
        try #require(made.status == 0, "\(made)")
        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--calibration", calibration,
                             "--target", "t.npy", "--tile", "0", "--store", lab.path("other.sqlite")])
        #expect(r.status == 0, "\(r)")
        let store = try RunStore(path: lab.path("other.sqlite"))
        let run = try #require(try store.runs().first { $0.draft.kind == "program" })
        #expect(run.status == .completed)
        let id = try #require(run.draft.calibrationID)
        #expect(try store.calibration(id).runID == nil, "the calibrate run belongs to the other store")
        #expect(try store.outcomes(run: run.id).count == 4096)
    }

    @Test("bad targets and unknown runs are refused with messages naming the file, cell and value")
    func badInputs() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let cases: [(String, String)] = [
            ("nan.npy", "nan.npy: cell 5:9: target nan S is not a number"),
            ("high.npy", "high.npy: cell 10:2: target 0.001 S is outside the programmable range"),
            ("shape.npy", "shape.npy: a 60x64 map does not fit: expected 64x64 for tile 0"),
            ("corrupt.npy", "corrupt.npy: not a valid .npy file"),
        ]
        for (file, message) in cases {
            let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", file, "--tile", "0"])
            #expect(r.status != 0)
            #expect(r.standardError.contains(message), "\(file): \(r)")
        }
        let whole = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy"])
        #expect(whole.status != 0 && whole.standardError.contains("--tile N"), "\(whole)")
        let unknown = try lab.run(["runs", "show", "77"])
        #expect(unknown.status != 0 && unknown.standardError.contains("no run store here"), "\(unknown)")
        let resume = try lab.run(["program", "--resume", "77"])
        #expect(resume.status != 0 && resume.standardError.contains("no run 77"), "\(resume)")
    }

    @Test("--verify-in-ranges programs in the board's sense ranges, logging each read's range, and is refused naming the board when it has none")
    func verifyInRanges() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let stripped = try lab.python("""
            import os, re
            text = open(os.path.join(os.environ.get('XBAR_INSTRUMENTS', '\(XbarExecutable.instrumentsFolder)'), 'usb-4x64.yaml')).read()
            os.makedirs('plain', exist_ok=True)
            open('plain/usb-4x64.yaml', 'w').write(re.sub(r'\\n  sense_ranges:\\n(    - .*\\n)+', '\\n', text))
            """)
        try #require(stripped.status == 0, "\(stripped)")
        let refused = try lab.run(["program", "--board", "sim", "--instrument", lab.path("plain/usb-4x64.yaml"), "--target", "t.npy",
                                   "--tile", "0", "--verify-in-ranges"])
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.standardError.contains("--verify-in-ranges: board xbar-usb-4x64 serial"), "\(refused)")
        #expect(refused.standardError.contains("lists no sense ranges"), "\(refused)")

        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                             "--verify-in-ranges", "--store", lab.path("ranged.sqlite")])
        #expect(r.status == 0, "\(r)")
        let store = try RunStore(path: lab.path("ranged.sqlite"))
        let run = try #require(try store.runs().first { $0.draft.kind == "program" })
        #expect(run.status == .completed)
        let journal = try store.journal(run: run.id)
        #expect(journal.contains { if case .read(_, _, _, _, _, _, _?) = $0.operation { true } else { false } }, "ranged reads are logged with their range")
        // The simulated board verifies batches in ranges: each batch verifies its own cells, every pulse's range logged.
        let batches = journal.filter { if case .pulseBatch = $0.operation { true } else { false } }
        #expect(!batches.isEmpty && batches.allSatisfy { $0.operation.isRangedVerify }, "every batch verifies its cells in ranges")

        // As on a board without ranged batch verify: the batches go out unverified, their cells read after them.
        let apart = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                 "--verify-in-ranges", "--no-verify-in-batch", "--store", lab.path("apart.sqlite")])
        #expect(apart.status == 0, "\(apart)")
        #expect(apart.standardOutput.contains("a READ per band after each batch"), "\(apart)")
        let apartStore = try RunStore(path: lab.path("apart.sqlite"))
        let apartRun = try #require(try apartStore.runs().first { $0.draft.kind == "program" })
        #expect(try apartStore.journal(run: apartRun.id).allSatisfy {
            if case .pulseBatch(_, _, let verify, _, _) = $0.operation { verify == nil } else { true }
        }, "no batch carries a verify read of its own")
    }

    @Test("without --instrument, a new program run, read and identify refuse naming --instrument with an example, and make no store")
    func missingInstrument() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let commands = [
            ["program", "--board", "sim", "--target", "t.npy", "--tile", "0"],
            ["read", "--board", "sim", "--out", "map.npy"],
            ["identify", "--board", "sim"],
        ]
        for arguments in commands {
            let r = try lab.run(arguments)
            #expect(r.status != 0, "\(r)")
            #expect(r.standardError.contains("missing --instrument NAME|PATH"), "\(r)")
            #expect(r.standardError.contains("e.g. --instrument usb-4x64"), "\(r)")
            // Refused while parsing, so the command's own usage follows, not the top level's.
            #expect(r.standardError.contains("Usage: xbar \(arguments[0])"), "\(r)")
        }
        #expect(!FileManager.default.fileExists(atPath: lab.storePath), "a refused command leaves no run store behind")
    }

    @Test("a program run killed with SIGKILL mid-run resumes without repeating a pulse and ends like an uninterrupted run")
    func killAndResume() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let arguments = ["program", "--board", "sim", "--instrument", "usb-4x64", "--seed", "5", "--target", "t.npy", "--tile", "0", "--algorithm", "ispp"]
        let store = try RunStore(path: lab.storePath)

        // Kill once some batches are logged: the run id is 1 in a fresh store.
        var killedAt = 0
        let killed = try lab.run(arguments, limit: .seconds(120)) {
            guard let counts = try? store.operationCounts(run: 1), counts.logged >= 12 else { return false }
            killedAt = counts.logged
            return true
        }
        #expect(killed.killed && killedAt >= 12, "the run was killed after at least 12 logged operations: \(killed)")
        #expect(try store.run(1).status == .running)

        // No --instrument, --board or --seed: the resumed run takes them from the store.
        let resumed = try lab.run(["program", "--resume", "1"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.standardOutput.contains("resuming on a fresh simulated board (seed 5)"), "\(resumed)")
        // Piped, the replay of the killed run's journal reports itself as a stage of its own.
        let replayed = resumed.standardError.split(separator: "\n").first { $0.hasPrefix("replaying the journal: ") }
        #expect(replayed.map { $0.contains("/\(killedAt - 1) operations") || $0.contains("/\(killedAt) operations") } == true,
                "one progress line for the replay of the \(killedAt) logged operations: \(resumed.standardError)")
        let journal = try store.journal(run: 1)
        #expect(journal.allSatisfy { $0.state != .intent }, "no operation is left awaiting a result")
        for doubtful in journal where doubtful.state == .inDoubt {
            // Never re-sent: the operation after an in-doubt batch reads the whole tile.
            if let next = journal.first(where: { $0.seq == doubtful.seq + 1 }), case .read(_, nil, _, _, _, _, _) = next.operation {} else {
                Issue.record("operation \(doubtful.seq) is in doubt and was not followed by a full-tile read")
            }
        }
        // The resumed simulated board was rebuilt by replaying the completed operations; its
        // pulse counter is exactly the pulses the ledger records as done: none twice.
        let done = try store.pulseCounts(run: 1)[.done] ?? 0
        #expect(resumed.standardOutput.contains("board reports \(done) cell-pulses applied"), "\(resumed)")

        let reference = try lab.run(arguments)
        #expect(reference.status == 0, "\(reference)")
        let a = try store.outcomes(run: 1), b = try store.outcomes(run: 2)
        #expect(a.count == 4096 && b.count == 4096)
        #expect(a.map(\.outcome) == b.map(\.outcome), "same outcome for every cell as the uninterrupted run")
        #expect(try store.run(1).status == .completed)
    }

    @Test("runs list, show and export work on a finished run, and NumPy loads the exported map")
    func runsAndExport() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTargets(lab)
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--tolerance", "1%"])
        #expect(program.status == 0, "\(program)")
        let list = try lab.run(["runs", "list"])
        #expect(list.standardOutput.contains("program") && list.standardOutput.contains("completed"), "\(list)")
        let show = try lab.run(["runs", "show", "1"])
        #expect(show.standardOutput.contains("converged") && show.standardOutput.contains("usb-4x64"), "\(show)")
        #expect(try lab.run(["runs", "export", "1", "--format", "npy", "--out", "shadow.npy"]).status == 0)
        #expect(try lab.run(["runs", "export", "1", "--format", "csv", "--out", "shadow.csv"]).status == 0)
        #expect(try lab.run(["runs", "export", "1", "--format", "csv", "--cells", "--out", "cells.csv"]).status == 0)
        let read = try lab.run(["read", "--board", "sim", "--instrument", "usb-4x64", "--out", "array.npy", "--averages", "4"])
        #expect(read.status == 0, "\(read)")
        // The shadow map is within 1 % of the range (0.985 uS) of the targets for converged
        // cells, and stuck cells are few (0.5 % of cells are stuck in the instrument's model).
        let check = try lab.python("""
            import numpy, csv
            s = numpy.load('shadow.npy'); t = numpy.load('t.npy'); c = numpy.loadtxt('shadow.csv', delimiter=',')
            assert s.shape == (64, 64) and s.dtype == numpy.float64, (s.shape, s.dtype)
            assert numpy.array_equal(s, c)
            rows = list(csv.DictReader(open('cells.csv')))
            ok = numpy.array([r['outcome'] == 'converged' for r in rows]).reshape(64, 64)
            assert ok.sum() > 0.98 * 4096, ok.sum()
            assert numpy.abs(s - t)[ok].max() <= 0.985e-6, numpy.abs(s - t)[ok].max()
            a = numpy.load('array.npy'); assert a.shape == (256, 64), a.shape
            print('ok')
            """)
        #expect(check.status == 0 && check.standardOutput.contains("ok"), "\(check)")
    }
}
