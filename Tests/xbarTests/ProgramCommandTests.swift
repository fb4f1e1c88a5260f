import Foundation
import Testing
import XbarStore

/// Runs the `xbar` executable built next to the tests, with the repository's instruments.
struct XbarTool {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
    static var executable: URL? {
        for configuration in ["debug", "release"] {
            let url = packageRoot.appendingPathComponent(".build/\(configuration)/xbar")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(at: folder) }

    func process(_ arguments: [String]) throws -> (Process, Pipe) {
        guard let exe = Self.executable else {
            throw CLIError("the xbar executable is not built; run `swift build` first")
        }
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env["XBAR_INSTRUMENTS"] = Self.packageRoot.appendingPathComponent("instruments").path
        env["XBAR_STORE"] = folder.appendingPathComponent("lab.sqlite").path
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        return (p, out)
    }

    /// Runs to the end; returns the exit status and everything printed.
    @discardableResult
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let (p, out) = try process(arguments)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func python(_ script: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        p.currentDirectoryURL = folder
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

@Suite("xbar program, read and runs", .serialized)
struct ProgramCommandTests {
    /// A 64x64 target map uniform in the usb-4x64 programmable range (1.95-70 uS), saved by NumPy.
    func writeTargets(_ tool: XbarTool) throws {
        let r = try tool.python("""
            import numpy
            rng = numpy.random.default_rng(1)
            numpy.save('t.npy', rng.uniform(2.5e-6, 65e-6, (64, 64)))
            a = rng.uniform(2.5e-6, 65e-6, (64, 64)); a[5, 9] = float('nan'); numpy.save('nan.npy', a)
            a = rng.uniform(2.5e-6, 65e-6, (64, 64)); a[10, 2] = 1e-3; numpy.save('high.npy', a)
            numpy.save('shape.npy', rng.uniform(2.5e-6, 65e-6, (60, 64)))
            open('corrupt.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + b'x' * 20)
            """)
        #expect(r.status == 0, "python3 with numpy writes the targets: \(r.output)")
    }

    @Test("bad targets and unknown runs are refused with messages naming the file, cell and value")
    func badInputs() throws {
        let tool = try XbarTool()
        defer { tool.cleanup() }
        try writeTargets(tool)
        let cases: [(String, String)] = [
            ("nan.npy", "nan.npy: row 5, column 9: target nan S is not a number"),
            ("high.npy", "high.npy: row 10, column 2: target 0.001 S is outside the programmable range"),
            ("shape.npy", "shape.npy: a 60x64 map does not fit: expected 64x64 for tile 0"),
            ("corrupt.npy", "corrupt.npy: not a valid .npy file"),
        ]
        for (file, message) in cases {
            let r = try tool.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", file, "--tile", "0"])
            #expect(r.status != 0)
            #expect(r.output.contains(message), "\(file): \(r.output)")
        }
        let whole = try tool.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy"])
        #expect(whole.status != 0 && whole.output.contains("--tile N"), "\(whole.output)")
        let unknown = try tool.run(["runs", "show", "77"])
        #expect(unknown.status != 0 && unknown.output.contains("no run 77"), "\(unknown.output)")
        let resume = try tool.run(["program", "--resume", "77"])
        #expect(resume.status != 0 && resume.output.contains("no run 77"), "\(resume.output)")
    }

    @Test("a program run killed with SIGKILL mid-run resumes without repeating a pulse and ends like an uninterrupted run")
    func killAndResume() throws {
        let tool = try XbarTool()
        defer { tool.cleanup() }
        try writeTargets(tool)
        let arguments = ["program", "--board", "sim", "--instrument", "usb-4x64", "--seed", "5", "--target", "t.npy", "--tile", "0", "--algorithm", "ispp"]
        let store = try RunStore(path: tool.folder.appendingPathComponent("lab.sqlite").path)

        let (child, out) = try tool.process(arguments)
        // Kill once some batches are logged: the run id is 1 in a fresh store.
        var killedAt = 0
        let deadline = Date().addingTimeInterval(120)
        while child.isRunning && Date() < deadline {
            if let counts = try? store.operationCounts(run: 1), counts.logged >= 12 {
                kill(child.processIdentifier, SIGKILL)
                killedAt = counts.logged
                break
            }
            usleep(2_000)
        }
        child.waitUntilExit()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        #expect(killedAt >= 12, "the run was killed after at least 12 logged operations")
        #expect(child.terminationReason == .uncaughtSignal)
        #expect(try store.run(1).status == .running)

        let resumed = try tool.run(["program", "--resume", "1"])
        #expect(resumed.status == 0, "\(resumed.output)")
        let journal = try store.journal(run: 1)
        #expect(journal.allSatisfy { $0.state != .intent }, "no operation is left awaiting a result")
        for doubtful in journal where doubtful.state == .inDoubt {
            // Never re-sent: the operation after an in-doubt batch reads the whole tile.
            if let next = journal.first(where: { $0.seq == doubtful.seq + 1 }), case .read(_, nil, _, _, _, _) = next.operation {} else {
                Issue.record("operation \(doubtful.seq) is in doubt and was not followed by a full-tile read")
            }
        }
        // The resumed simulated board was rebuilt by replaying the completed operations; its
        // pulse counter is exactly the pulses the ledger records as done: none twice.
        let done = try store.pulseCounts(run: 1)[.done] ?? 0
        #expect(resumed.output.contains("board reports \(done) cell-pulses applied"), "\(resumed.output)")

        let reference = try tool.run(arguments)
        #expect(reference.status == 0, "\(reference.output)")
        let a = try store.outcomes(run: 1), b = try store.outcomes(run: 2)
        #expect(a.count == 4096 && b.count == 4096)
        #expect(a.map(\.outcome) == b.map(\.outcome), "same outcome for every cell as the uninterrupted run")
        #expect(try store.run(1).status == .completed)
    }

    @Test("runs list, show and export work on a finished run, and NumPy loads the exported map")
    func runsAndExport() throws {
        let tool = try XbarTool()
        defer { tool.cleanup() }
        try writeTargets(tool)
        let program = try tool.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0", "--tolerance", "1%"])
        #expect(program.status == 0, "\(program.output)")
        let list = try tool.run(["runs", "list"])
        #expect(list.output.contains("program") && list.output.contains("completed"), "\(list.output)")
        let show = try tool.run(["runs", "show", "1"])
        #expect(show.output.contains("converged") && show.output.contains("usb-4x64"), "\(show.output)")
        #expect(try tool.run(["runs", "export", "1", "--format", "npy", "--out", "shadow.npy"]).status == 0)
        #expect(try tool.run(["runs", "export", "1", "--format", "csv", "--out", "shadow.csv"]).status == 0)
        #expect(try tool.run(["runs", "export", "1", "--format", "csv", "--cells", "--out", "cells.csv"]).status == 0)
        let read = try tool.run(["read", "--board", "sim", "--instrument", "usb-4x64", "--out", "array.npy", "--averages", "4"])
        #expect(read.status == 0, "\(read.output)")
        // The shadow map is within 1 % of the range (0.985 uS) of the targets for converged
        // cells, and stuck cells are few (0.5 % of cells are stuck in the instrument's model).
        let check = try tool.python("""
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
        #expect(check.status == 0 && check.output.contains("ok"), "\(check.output)")
    }
}
