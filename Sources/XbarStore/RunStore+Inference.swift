import Foundation
import GRDB

extension RunStore {
    // MARK: Inference samples

    /// Records classified samples of an inference run, all of them or none (one transaction).
    ///
    /// - Throws: the database's constraint error when a sample is already recorded for the run:
    ///   a sample is never recorded twice, nor overwritten.
    public func saveInferenceSamples(run: Int64, _ samples: [InferenceSampleRecord]) throws {
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO inference_samples (run_id, sample, label, prediction, logits, backend, completed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for s in samples {
                try insert.execute(arguments: [run, s.sample, s.label, s.prediction, DoubleBlob.encode(s.logits), s.backend,
                                               s.completedAt.timeIntervalSince1970])
            }
        }
    }

    /// The samples an inference run has recorded, by sample index.
    public func inferenceSamples(run: Int64) throws -> [InferenceSampleRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM inference_samples WHERE run_id = ? ORDER BY sample", arguments: [run]).map {
                InferenceSampleRecord(sample: $0["sample"], label: $0["label"], prediction: $0["prediction"],
                                      logits: DoubleBlob.decode($0["logits"]), backend: $0["backend"],
                                      completedAt: Date(timeIntervalSince1970: $0["completed_at"]))
            }
        }
    }

    // MARK: What a twin is built from

    /// The newest calibration registered for an instrument (by the time it was made), or nil.
    public func newestCalibration(instrumentName: String) throws -> CalibrationRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM calibrations WHERE instrument_name = ? ORDER BY created_at DESC, id DESC LIMIT 1
                """, arguments: [instrumentName]).map(Self.calibrationRecord)
        }
    }

    /// The newest completed run that saved a shadow map of the board with this model and serial
    /// number (a programming run of that chip), or nil. A run that stopped part-way is left out:
    /// its map may cover some tiles only.
    public func newestProgrammingRun(boardModel: String, boardSerial: String) throws -> Int64? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT s.run_id FROM shadow_maps s JOIN runs r ON r.id = s.run_id
                WHERE r.board_model = ? AND r.board_serial = ? AND r.status = 'completed'
                ORDER BY s.saved_at DESC, s.run_id DESC LIMIT 1
                """, arguments: [boardModel, boardSerial])
        }
    }

    /// The newest completed run that saved a shadow map of a board of this instrument, or nil.
    public func newestProgrammingRun(instrumentName: String) throws -> Int64? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT s.run_id FROM shadow_maps s JOIN runs r ON r.id = s.run_id
                WHERE r.instrument_name = ? AND r.status = 'completed'
                ORDER BY s.saved_at DESC, s.run_id DESC LIMIT 1
                """, arguments: [instrumentName])
        }
    }
}
