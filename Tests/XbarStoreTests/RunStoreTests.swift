import Foundation
import Testing
@testable import XbarStore

/// A store file in a fresh temporary folder, removed by the caller with `cleanup()`.
struct TemporaryStore {
    let folder: URL
    let store: RunStore

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
    }

    func cleanup() { try? FileManager.default.removeItem(at: folder) }
}

@Suite("Run store")
struct RunStoreTests {
    let draft = RunDraft(kind: "program", user: "tester", backend: "simulated", boardModel: "xbar-usb-4x64",
                         boardSerial: "SIM-0001", boardFirmware: "sim", instrumentName: "usb-4x64",
                         instrumentVersion: "1.0.0", instrumentDigest: "abc", argumentsJSON: "{\"tile\":0}")

    @Test("a run is recorded with who, what board and arguments, and its end")
    func runRecord() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let id = try t.store.startRun(draft)
        var run = try t.store.run(id)
        #expect(run.status == .running)
        #expect(run.draft == draft)
        #expect(run.endedAt == nil)
        try t.store.finishRun(id, status: .completed)
        run = try t.store.run(id)
        #expect(run.status == .completed)
        #expect(run.endedAt != nil)
        #expect(try t.store.runs().map(\.id) == [id])
    }

    @Test("an unknown run id is an error naming the store and how to list runs")
    func unknownRun() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        #expect(throws: StoreError.unknownRun(id: 42, path: t.store.path)) { try t.store.run(42) }
        let message = String(describing: StoreError.unknownRun(id: 42, path: t.store.path))
        #expect(message.contains("no run 42") && message.contains("xbar runs list"))
    }

    @Test("a batch is logged as intent with its exact pulses, then completed with its verify reads")
    func intentThenResult() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        let pulses = [LedgerPulse(row: 1, column: 2, amplitudeVolts: 1.25, widthSeconds: 1e-6),
                      LedgerPulse(row: 3, column: 4, amplitudeVolts: -1.5, widthSeconds: 2e-7)]
        let op = JournalOperation.pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.2, averages: 8, pulses: pulses)
        let seq = try t.store.logIntent(run: run, op)
        var journal = try t.store.journal(run: run)
        #expect(journal.count == 1)
        #expect(journal[0].operation == op)
        #expect(journal[0].state == .intent)
        #expect(journal[0].measuredSiemens.isEmpty)
        try t.store.logResult(run: run, seq: seq, measuredSiemens: [10e-6, 20e-6])
        journal = try t.store.journal(run: run)
        #expect(journal[0].state == .done)
        #expect(journal[0].measuredSiemens == [10e-6, 20e-6])
        #expect(try t.store.pulseCounts(run: run) == [.done: 2])
        // A result is recorded once: a second one is refused.
        #expect(throws: StoreError.self) { try t.store.logResult(run: run, seq: seq, measuredSiemens: [1, 2]) }
    }

    @Test("a batch verified in sense ranges keeps each pulse's range and averages, and a saturated verify as +infinity")
    func rangedVerifyBatch() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        let pulses = [LedgerPulse(row: 1, column: 2, amplitudeVolts: 1.25, widthSeconds: 1e-6, verify: LedgerVerify(senseRange: 3, averages: 2)),
                      LedgerPulse(row: 3, column: 4, amplitudeVolts: -1.5, widthSeconds: 2e-7, verify: LedgerVerify(senseRange: nil, averages: 5)),
                      LedgerPulse(row: 0, column: 0, amplitudeVolts: 1.0, widthSeconds: 1e-7, verify: LedgerVerify(senseRange: 0, averages: 1))]
        let op = JournalOperation.pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.2, averages: 8, pulses: pulses)
        #expect(op.isRangedVerify)
        #expect(op.conversions == 2 + 5 + 1, "each cell's own averages, not the batch's 8")
        let seq = try t.store.logIntent(run: run, op)
        try t.store.logResult(run: run, seq: seq, measuredSiemens: [10e-6, .infinity, 20e-6])
        let journal = try t.store.journal(run: run)
        #expect(journal[0].operation == op, "the range (or the read full scale) and averages of every pulse's verify")
        #expect(journal[0].measuredSiemens == [10e-6, .infinity, 20e-6])
        // A batch verified at the read full scale stays as it was: no per-pulse verify.
        let plain = JournalOperation.pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.2, averages: 8,
                                                pulses: [LedgerPulse(row: 5, column: 5, amplitudeVolts: 1, widthSeconds: 1e-7)])
        _ = try t.store.logIntent(run: run, plain)
        let again = try t.store.journal(run: run)
        #expect(again[1].operation == plain && !plain.isRangedVerify && plain.conversions == 8)
    }

    @Test("whole-tile reads, settles and in-doubt marks round-trip through the journal")
    func readsAndDoubt() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        let read = JournalOperation.read(tile: 1, cells: nil, rows: 2, columns: 3, readVolts: 0.3, averages: 4)
        let s0 = try t.store.logIntent(run: run, read)
        try t.store.logResult(run: run, seq: s0, measuredSiemens: [1, 2, 3, 4, 5, 6])
        let s1 = try t.store.logIntent(run: run, .settle(tile: 1, seconds: 60))
        try t.store.logResult(run: run, seq: s1, measuredSiemens: [])
        let list = JournalOperation.read(tile: 1, cells: [CellAddress(row: 1, column: 2)], rows: 2, columns: 3, readVolts: 0.3, averages: 1)
        let s2 = try t.store.logIntent(run: run, list)
        try t.store.markInDoubt(run: run, seq: s2)
        let journal = try t.store.journal(run: run)
        #expect(journal.map(\.seq) == [0, 1, 2])
        #expect(journal[0].operation == read && journal[0].measuredSiemens == [1, 2, 3, 4, 5, 6])
        #expect(journal[1].operation == .settle(tile: 1, seconds: 60) && journal[1].state == .done)
        #expect(journal[2].operation == list && journal[2].state == .inDoubt)
        #expect(try t.store.operationCounts(run: run) == (logged: 3, done: 2))
    }

    @Test("targets, outcomes and the shadow map are saved per tile and read back exactly")
    func mapsAndOutcomes() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let run = try t.store.startRun(draft)
        try t.store.saveTargets(run: run, tile: 2, rows: 1, columns: 2, siemens: [1.5e-6, 7.25e-5])
        #expect(try t.store.targets(run: run)[2]?.siemens == [1.5e-6, 7.25e-5])
        let outcomes = [CellOutcomeRecord(tile: 2, row: 0, column: 0, targetSiemens: 1.5e-6, outcome: "converged", pulses: 3, finalSiemens: 1.6e-6),
                        CellOutcomeRecord(tile: 2, row: 0, column: 1, targetSiemens: 7.25e-5, outcome: "stuck", pulses: 9, finalSiemens: 2e-6)]
        try t.store.saveOutcomes(run: run, outcomes)
        #expect(try t.store.outcomes(run: run) == outcomes)
        let when = Date(timeIntervalSince1970: 1_700_000_000.25)
        let tile = ShadowMap.Tile(index: 2, rows: 1, columns: 2, siemens: [1.6e-6, 2e-6], verifiedAt: [when, when])
        try t.store.saveShadowTile(run: run, tile)
        #expect(try t.store.shadowMap(run: run).tiles[2] == tile)
        #expect(try t.store.latestShadowMap(boardModel: "xbar-usb-4x64", boardSerial: "SIM-0001").tiles[2] == tile)
    }

    @Test("the store file uses write-ahead logging and a second process-like connection sees committed runs")
    func walAndSharing() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let id = try t.store.startRun(draft)
        let other = try RunStore(path: t.store.path)
        #expect(try other.run(id).draft.kind == "program")
        let mode = try t.store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }
}
