import Foundation
import GRDB

/// The ledger of a finished run, column by column.
///
/// A run's ledger rows are what resume and export work from, but a whole array's run has about a
/// hundred thousand of them, and a reader that takes them row by row (Python's `sqlite3`, pandas)
/// spends most of a second building row objects. When a run ends, its ledger is also written as
/// one little-endian blob per column (`ledger_columns`), which a reader maps into arrays at once.
/// The copy names the state of the run's operations it was made from (`operations_key`): a
/// reader that finds the operations changed since (a resumed run) reads the rows instead.
extension RunStore {
    static func writeLedgerColumns(_ db: Database, run: Int64) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT seq, idx, tile, "row", "column", amplitude_volts, width_seconds, measured_siemens
            FROM ledger WHERE run_id = ? ORDER BY seq, idx
            """, arguments: [run])
        var seq: [Int32] = [], idx: [Int32] = [], tile: [Int32] = [], row: [Int32] = [], column: [Int32] = []
        var amplitude: [Double] = [], width: [Double] = [], measured: [Double] = []
        while let r = try rows.next() {
            seq.append(r[0]); idx.append(r[1]); tile.append(r[2]); row.append(r[3]); column.append(r[4])
            amplitude.append((r[5] as Double?) ?? .nan)
            width.append((r[6] as Double?) ?? .nan)
            measured.append((r[7] as Double?) ?? .nan)
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO ledger_columns (run_id, entries, operations_key, seq, idx, tile, "row", "column",
                amplitude_volts, width_seconds, measured_siemens)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run, seq.count, try operationsKey(db, run: run),
                             IntegerBlob.encode(seq), IntegerBlob.encode(idx), IntegerBlob.encode(tile),
                             IntegerBlob.encode(row), IntegerBlob.encode(column), DoubleBlob.encode(amplitude),
                             DoubleBlob.encode(width), DoubleBlob.encode(measured)])
    }

    /// What the ledger's content follows from: operations by state, and the last result.
    /// Readers compute the same text with the same query (documented in docs/run-store.md).
    static func operationsKey(_ db: Database, run: Int64) throws -> String {
        try String.fetchOne(db, sql: Self.operationsKeySQL, arguments: [run]) ?? ""
    }

    static let operationsKeySQL = """
        SELECT IFNULL((SELECT group_concat(state || '=' || n, ',') FROM
                (SELECT state, COUNT(*) AS n FROM operations WHERE run_id = ?1 GROUP BY state ORDER BY state)), '')
            || ':' || IFNULL((SELECT MAX(result_at) FROM operations WHERE run_id = ?1), '')
        """
}
