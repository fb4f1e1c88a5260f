import ArgumentParser
import Foundation
import GRDB
import XbarInstrument
import XbarJobs

/// `xbar-bench store`: the run store at the size of a lab's year, and how fast users read it.
struct StoreScaleBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Fill a run store with programming runs of the whole usb-4x64 array and time what users run on it.",
        discussion: """
            One programming run of all four weight tiles is recorded by `xbar program` on the \
            simulated board, exactly as a user records it; the store is then filled to --runs \
            runs by copying that run's rows under new run ids (every table keyed by run). \
            Printed: the store's size, and the median wall time of `xbar runs list`, `xbar runs \
            show`, `xbar runs export` (the shadow map as NPY, the per-cell outcomes as CSV) of a run in the middle \
            of the store, each as its own process, and of the Python reader (`python/xbarlab`) \
            loading that run's ledger into a DataFrame. Target: each under 200 ms.

            Example:
              swift build -c release && .build/release/xbar-bench store --runs 1000
            """)

    @Option(help: "Runs in the filled store.")
    var runs = 1000
    @Option(help: "Store file to fill (default: a new file in the temporary folder, removed at the end).")
    var store: String?
    @Option(help: "Timed repetitions of each command; the median is printed.")
    var repeats = 5
    @Flag(help: "Measure an existing store filled by an earlier run of this benchmark (--store) instead of filling a new one.")
    var measureOnly = false

    func run() throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let xbar = here.appendingPathComponent("xbar").path
        guard FileManager.default.isExecutableFile(atPath: xbar) else {
            throw ValidationError("xbar is not built beside xbar-bench (\(xbar)); run swift build -c release first")
        }
        guard runs >= 1, repeats >= 1 else { throw ValidationError("--runs and --repeats must be at least 1") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-store-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = store ?? folder.appendingPathComponent("runs.sqlite").path
        let inst = try InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: nil)
        say("xbar-bench store: \(runs) programming runs of the whole \(inst.name) array in \(path)")
        if measureOnly {
            guard store != nil, FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("--measure-only needs --store naming a store this benchmark filled")
            }
        } else {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("\(path) exists; the benchmark fills a new store (or give --measure-only)")
            }
            let targets = folder.appendingPathComponent("array.npy").path
            try writeTargets(instrument: inst, path: targets)
            let recorded = try timed {
                try runXbar(xbar, ["program", "--board", "sim", "--instrument", inst.name, "--target", targets,
                                   "--tolerance", "1%", "--store", path])
            }
            say(String(format: "   one run recorded by xbar program in %.1f s", recorded))
            let filled = try timed { try fill(path: path, copies: runs - 1) }
            say(String(format: "   filled to %d runs in %.0f s", runs, filled))
        }
        let bytes = storeBytes(path)
        say(String(format: "   store size %.2f GB (%.1f MB per run)", Double(bytes) / 1e9, Double(bytes) / 1e6 / Double(runs)))

        let middle = (runs + 1) / 2
        let npy = folder.appendingPathComponent("shadow.npy").path
        let csv = folder.appendingPathComponent("cells.csv").path
        var rows: [(String, Double)] = []
        for (label, arguments) in [
            ("xbar runs list", ["runs", "list", "--store", path]),
            ("xbar runs show \(middle)", ["runs", "show", "\(middle)", "--store", path]),
            ("xbar runs export \(middle) --format npy", ["runs", "export", "\(middle)", "--format", "npy", "--out", npy, "--store", path]),
            ("xbar runs export \(middle) --format csv --cells", ["runs", "export", "\(middle)", "--format", "csv", "--cells", "--out", csv, "--store", path]),
        ] {
            rows.append((label, try median { try runXbar(xbar, arguments) }))
        }
        if let python = LinkBenchmark.repositoryFile("python/xbarlab") {
            let root = URL(fileURLWithPath: python).deletingLastPathComponent().path
            let script = """
                import sys, time; sys.path.insert(0, \(pythonString(root)))
                import xbarlab
                t = time.perf_counter()
                with xbarlab.open_store(\(pythonString(path))) as s:
                    f = s.ledger(\(middle))
                print(time.perf_counter() - t, len(f))
                """
            var loads: [Double] = []
            var entries = 0
            for _ in 0..<repeats {
                let out = try runProcess("/usr/bin/env", ["python3", "-c", script])
                let parts = out.split(separator: " ")
                guard parts.count == 2, let t = Double(parts[0]), let n = Int(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw ValidationError("the Python reader printed \"\(out)\"")
                }
                loads.append(t)
                entries = n
            }
            rows.append(("python xbarlab: ledger of run \(middle) (\(entries) entries)", loads.sorted()[loads.count / 2]))
        } else {
            say("   the Python reader is not measured: python/xbarlab is not found beside the build")
        }
        say("   median of \(repeats), wall time:")
        for (label, seconds) in rows {
            let padded = label.padding(toLength: max(label.count, 58), withPad: " ", startingAt: 0)
            say("   \(padded) " + String(format: "%7.1f ms", seconds * 1e3) + (seconds < 0.2 ? "  under 200 ms" : "  OVER 200 ms"))
        }
    }

    /// A target for every weight cell, uniform in the programmable range (fixed seed).
    func writeTargets(instrument: Instrument, path: String) throws {
        let range = ProgrammableRange(device: instrument.device.nonVolatile)
        let weightTiles = instrument.tiles.filter { $0.kind.isNonVolatile }
        guard let first = weightTiles.first else { throw ValidationError("\(instrument.name) has no weight tiles") }
        var state: UInt64 = 0x5EED
        var values: [Double] = []
        for _ in 0..<(weightTiles.count * first.cellCount) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Double(state >> 11) / Double(1 << 53)
            values.append(range.lowSiemens + u * (range.highSiemens - range.lowSiemens))
        }
        let map = ConductanceMap(rows: weightTiles.count * Int(first.rows), columns: Int(first.columns), siemens: values)
        try NPYFile.write(map, path: path)
    }

    /// Copies run 1's rows under new run ids, one transaction per copy.
    func fill(path: String, copies: Int) throws {
        guard copies > 0 else { return }
        var configuration = Configuration()
        // A benchmark's copy need not survive a power cut; the store's own writes stay durable.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF") }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let tables: [(name: String, columns: [String])] = try queue.read { db in
            let names = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('runs', 'calibrations')
                AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'
                """)
            var keyed: [(String, [String])] = []
            for name in names {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\"\(name)\")").map { $0["name"] as String }
                if columns.contains("run_id") { keyed.append((name, columns)) }
            }
            // Operations before the ledger rows that refer to them.
            return keyed.sorted { ($0.0 == "operations" ? 0 : 1, $0.0) < ($1.0 == "operations" ? 0 : 1, $1.0) }
        }
        let runColumns = try queue.read { db in
            try Row.fetchAll(db, sql: "PRAGMA table_info(runs)").map { $0["name"] as String }.filter { $0 != "id" }
        }
        func quoted(_ names: [String]) -> String { names.map { "\"\($0)\"" }.joined(separator: ", ") }
        for copy in 1...copies {
            try queue.inTransaction { db in
                let select = runColumns.map { $0 == "started_at" ? "started_at + \(copy)" : "\"\($0)\"" }.joined(separator: ", ")
                try db.execute(sql: "INSERT INTO runs (\(quoted(runColumns))) SELECT \(select) FROM runs WHERE id = 1")
                let id = db.lastInsertedRowID
                for table in tables {
                    let select = table.columns.map { $0 == "run_id" ? "\(id)" : "\"\($0)\"" }.joined(separator: ", ")
                    try db.execute(sql: "INSERT INTO \"\(table.name)\" (\(quoted(table.columns))) SELECT \(select) FROM \"\(table.name)\" WHERE run_id = 1")
                }
                return .commit
            }
            if copy % 100 == 0 { say("   \(copy + 1) runs") }
        }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    func storeBytes(_ path: String) -> Int {
        [path, path + "-wal"].reduce(0) { total, p in
            total + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0)
        }
    }

    func median(_ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<repeats { times.append(try timed(body)) }
        return times.sorted()[times.count / 2]
    }

    func timed(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        try body()
        return LinkBenchmark.seconds(ContinuousClock.now - start)
    }

    func runXbar(_ xbar: String, _ arguments: [String]) throws {
        _ = try runProcess(xbar, arguments)
    }

    @discardableResult
    func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: err, as: UTF8.self))")
        }
        return String(decoding: out, as: UTF8.self)
    }

    func pythonString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
