import Foundation
import GRDB
import Testing
@testable import XbarStore

@Suite("inference runs in the run store")
struct InferenceStoreTests {
    let draft = RunDraft(kind: "infer", user: "tester", backend: "serial:/dev/ttyUSB0", boardModel: "xbar-usb-4x64",
                         boardSerial: "SIM-0001", boardFirmware: "sim", instrumentName: "usb-4x64",
                         instrumentVersion: "1.0.0", instrumentDigest: "abc", argumentsJSON: "{}")

    func sample(_ i: Int, backend: String = "serial:/dev/ttyUSB0") -> InferenceSampleRecord {
        InferenceSampleRecord(sample: i, label: i % 10, prediction: (i * 7) % 10, logits: [Double(i), -1.5, 0.25],
                              backend: backend, completedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(i)))
    }

    @Test("chunks of samples come back with their labels, logits and backends, by sample index")
    func roundTrip() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        try t.store.saveInferenceSamples(run: run, [4, 5, 6, 7].map { sample($0, backend: "twin of run 1") })
        try t.store.saveInferenceSamples(run: run, [0, 1, 2, 3].map { sample($0) })
        let back = try t.store.inferenceSamples(run: run)
        #expect(back == (0..<8).map { sample($0, backend: $0 < 4 ? "serial:/dev/ttyUSB0" : "twin of run 1") })
    }

    @Test("a sample recorded twice is refused, and the chunk holding it leaves nothing behind")
    func neverTwice() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        try t.store.saveInferenceSamples(run: run, [0, 1].map { sample($0) })
        #expect(throws: (any Error).self) {
            try t.store.saveInferenceSamples(run: run, [2, 1].map { sample($0, backend: "twin") })
        }
        let back = try t.store.inferenceSamples(run: run)
        #expect(back.map(\.sample) == [0, 1])
        #expect(back.allSatisfy { $0.backend == "serial:/dev/ttyUSB0" }, "the first record of sample 1 is kept")
    }

    @Test("the twin's sources: the newest calibration of an instrument and the newest completed programming run of a chip")
    func twinSources() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        #expect(try t.store.newestCalibration(instrumentName: "usb-4x64") == nil)
        let older = try t.store.registerCalibration(path: "/a.json", contentDigest: "a", content: "{}", instrumentName: "usb-4x64",
                                                    instrumentDigest: nil, formatVersion: 1, createdAt: Date(timeIntervalSince1970: 100), runID: nil)
        let newer = try t.store.registerCalibration(path: "/b.json", contentDigest: "b", content: "{}", instrumentName: "usb-4x64",
                                                    instrumentDigest: nil, formatVersion: 1, createdAt: Date(timeIntervalSince1970: 200), runID: nil)
        _ = try t.store.registerCalibration(path: "/c.json", contentDigest: "c", content: "{}", instrumentName: "serial-32x32",
                                            instrumentDigest: nil, formatVersion: 1, createdAt: Date(timeIntervalSince1970: 300), runID: nil)
        #expect(older != newer)
        #expect(try t.store.newestCalibration(instrumentName: "usb-4x64")?.id == newer)

        var program = draft
        program.kind = "program"
        let tile = ShadowMap.Tile(index: 0, rows: 1, columns: 2, siemens: [1e-5, 2e-5], verifiedAt: [Date(), Date()])
        let finished = try t.store.startRun(program)
        try t.store.saveShadowTile(run: finished, tile, at: Date(timeIntervalSince1970: 1000))
        try t.store.finishRun(finished, status: .completed)
        // A later run that stopped part-way saved a tile too: it is not what the chip holds.
        let stopped = try t.store.startRun(program)
        try t.store.saveShadowTile(run: stopped, tile, at: Date(timeIntervalSince1970: 2000))
        try t.store.finishRun(stopped, status: .failed, message: "board lost")
        #expect(try t.store.newestProgrammingRun(boardModel: "xbar-usb-4x64", boardSerial: "SIM-0001") == finished)
        #expect(try t.store.newestProgrammingRun(boardModel: "xbar-usb-4x64", boardSerial: "SIM-0002") == nil)
        #expect(try t.store.newestProgrammingRun(instrumentName: "usb-4x64") == finished)
    }

    @Test("a chip's read-backs after its programming run saved the tile, newest per tile, until a later run programs the tile again; other chips' left out")
    func readBacks() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        var program = draft
        program.kind = "program"
        func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
        func shadow(_ index: Int, _ siemens: Double) -> ShadowMap.Tile {
            ShadowMap.Tile(index: index, rows: 1, columns: 2, siemens: [siemens, siemens], verifiedAt: [at(0), at(0)])
        }
        func read(_ run: Int64, _ index: Int, _ siemens: Double, _ seconds: Double, averages: Int = 16) -> TileReadBack {
            TileReadBack(run: run, index: index, rows: 1, columns: 2, siemens: [siemens, 2 * siemens], averages: averages, readAt: at(seconds))
        }
        // An inference run starts before the programming run it makes, and reads the tiles after it.
        let first = try t.store.startRun(draft)
        try t.store.saveReadBack(read(first, 0, 9e-6, 500))
        let programmed = try t.store.startRun(program)
        try t.store.saveShadowTile(run: programmed, shadow(0, 1e-5), at: at(1000))
        try t.store.saveShadowTile(run: programmed, shadow(1, 2e-5), at: at(1000))
        try t.store.finishRun(programmed, status: .completed)
        #expect(try t.store.readBacks(following: programmed).isEmpty, "a read-back taken before the run saved its tiles is not what it left")

        try t.store.saveReadBack(read(first, 0, 1.1e-5, 1100))
        try t.store.saveReadBack(read(first, 1, 1.2e-5, 1100))
        var otherChip = draft
        otherChip.boardSerial = "SIM-0002"
        let other = try t.store.startRun(otherChip)
        try t.store.saveReadBack(read(other, 0, 5e-6, 3000))
        let second = try t.store.startRun(draft)
        try t.store.saveReadBack(read(second, 0, 1.3e-5, 2000, averages: 4))
        var reads = try t.store.readBacks(following: programmed)
        #expect(reads[0] == read(second, 0, 1.3e-5, 2000, averages: 4))
        #expect(reads[1] == read(first, 1, 1.2e-5, 1100))

        // Tile 1 programmed again by a later run: a read after it belongs to the later run.
        let again = try t.store.startRun(program)
        try t.store.saveShadowTile(run: again, shadow(1, 3e-5), at: at(2500))
        try t.store.finishRun(again, status: .completed)
        let third = try t.store.startRun(draft)
        try t.store.saveReadBack(read(third, 1, 3.1e-5, 4000))
        reads = try t.store.readBacks(following: programmed)
        #expect(reads.mapValues(\.run) == [0: second, 1: first])
        #expect(try t.store.readBacks(following: again).mapValues(\.run) == [1: third])

        // A damaged record is refused, naming it, rather than read as a tile.
        let pool = try DatabasePool(path: t.store.path)
        try pool.write { try $0.execute(sql: "UPDATE read_backs SET columns = 3 WHERE run_id = ?", arguments: [third]) }
        #expect(throws: StoreError.corruptRecord(path: t.store.path, what: "run \(third)'s read-back of tile 1 holds 2 values for 1x3 cells")) {
            try t.store.readBacks(following: again)
        }
    }

    @Test("a store written before inference runs existed opens, keeps its runs, and takes inference samples")
    func olderStore() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.sqlite").path
        // The store as the previous schema left it, with a run in it.
        do {
            let pool = try DatabasePool(path: path)
            try StoreSchema.migrator.migrate(pool, upTo: "v2: STM traces, pulse-response curves, calibration files")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO runs (kind, user, started_at, backend, arguments_json, status)
                    VALUES ('program', 'tester', 1000, 'simulated', '{}', 'completed')
                    """)
                #expect(try !db.tableExists("inference_samples"))
            }
        }
        let store = try RunStore(path: path)
        let old = try store.run(1)
        #expect(old.draft.kind == "program" && old.status == .completed)
        let run = try store.startRun(draft)
        try store.saveInferenceSamples(run: run, [sample(0)])
        #expect(try store.inferenceSamples(run: run).count == 1)
    }
}
