import Foundation
import GRDB
import Testing
@testable import XbarStore

@Suite("Run store access: read-only opening and schema versions")
struct StoreAccessTests {
    let draft = RunDraft(kind: "read", user: "tester", backend: "simulated", argumentsJSON: "{}")

    @Test("opening a missing store read-only is refused naming the path, and creates no file")
    func missingStoreIsNotCreated() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let typo = t.folder.appendingPathComponent("lab.sqlitee").path
        #expect(throws: StoreError.noStore(path: typo)) { _ = try RunStore(path: typo, access: .readOnly) }
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    @Test("a read-only opening reads the runs and cannot write")
    func readOnlyReads() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let id = try t.store.startRun(draft)
        let reader = try RunStore(path: t.store.path, access: .readOnly)
        #expect(try reader.runs().map(\.id) == [id])
        #expect(throws: (any Error).self) { _ = try reader.startRun(draft) }
        #expect(try t.store.runs().count == 1)
    }

    @Test("a store with a migration this build does not know is refused with both schema versions, read-only or not")
    func newerSchemaRefused() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        _ = try t.store.startRun(draft)
        let known = RunStore.schemaVersion
        try DatabaseQueue(path: t.store.path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from a newer build')")
        }
        let expected = StoreError.newerSchema(path: t.store.path, storeVersion: known + 1, buildVersion: known)
        #expect(throws: expected) { _ = try RunStore(path: t.store.path, access: .readOnly) }
        #expect(throws: expected) { _ = try RunStore(path: t.store.path) }
        #expect(expected.description.contains("schema version \(known + 1), newer than version \(known)"))
        let runs = try DatabaseQueue(path: t.store.path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") }
        #expect(runs == 1, "nothing was written to the newer store")
    }

    @Test("a store missing this build's last migration is upgraded by a writing opening and refused by a read-only one")
    func olderSchema() throws {
        let t = try TemporaryStore()
        defer { t.cleanup() }
        let known = RunStore.schemaVersion
        let last = try #require(StoreSchema.migrator.migrations.last)
        // A store written by the build before: migrated up to the one before this build's last.
        let older = t.folder.appendingPathComponent("older.sqlite").path
        var migrator = StoreSchema.migrator
        migrator.eraseDatabaseOnSchemaChange = false
        try migrator.migrate(try DatabasePool(path: older), upTo: try #require(StoreSchema.migrator.migrations.dropLast().last))
        #expect(throws: StoreError.olderSchema(path: older, storeVersion: known - 1, buildVersion: known)) {
            _ = try RunStore(path: older, access: .readOnly)
        }
        _ = try RunStore(path: older)
        let applied = try DatabaseQueue(path: older).read { db in try StoreSchema.migrator.appliedIdentifiers(db) }
        #expect(applied.contains(last) && applied.count == known)
        _ = try RunStore(path: older, access: .readOnly)
    }
}
