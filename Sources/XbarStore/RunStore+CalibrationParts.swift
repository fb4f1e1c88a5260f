import Foundation
import GRDB

extension RunStore {
    /// Replaces a calibration run's measurements so far (an encoded document the calibration
    /// job owns) in one transaction, so the store holds either the old parts or the new ones.
    public func saveCalibrationParts(run: Int64, content: Data, at date: Date = Date()) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO calibration_parts (run_id, content, saved_at) VALUES (?, ?, ?)
                ON CONFLICT(run_id) DO UPDATE SET content = excluded.content, saved_at = excluded.saved_at
                """, arguments: [run, content, date.timeIntervalSince1970])
        }
    }

    /// A calibration run's measurements so far, as saved; nil when it saved none.
    public func calibrationParts(run: Int64) throws -> Data? {
        try pool.read { db in
            try Data.fetchOne(db, sql: "SELECT content FROM calibration_parts WHERE run_id = ?", arguments: [run])
        }
    }
}
