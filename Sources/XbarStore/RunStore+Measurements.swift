import Foundation
import GRDB

extension RunStore {
    // MARK: STM traces

    /// Appends read trains to a run, in one transaction.
    public func saveTraces(run: Int64, _ traces: [TraceRecord]) throws {
        try pool.write { db in
            var next = (try Int.fetchOne(db, sql: "SELECT MAX(idx) FROM stm_traces WHERE run_id = ?", arguments: [run]) ?? -1) + 1
            let insert = try db.cachedStatement(sql: """
                INSERT INTO stm_traces (run_id, idx, tile, "row", "column", point, repetition, amplitude_volts, width_seconds,
                    pulse_count, pulse_end_ns, pulse_times_ns, timestamps_ns, siemens)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for t in traces {
                try insert.execute(arguments: [run, next, t.tile, t.row, t.column, t.point, t.repetition, t.amplitudeVolts,
                                               t.widthSeconds, t.pulseCount, t.pulseEndNanoseconds.map { Int64(bitPattern: $0) },
                                               IntegerBlob.encode(t.pulseTimesNanoseconds), IntegerBlob.encode(t.timestampsNanoseconds),
                                               DoubleBlob.encode(t.conductancesSiemens)])
                next += 1
            }
        }
    }

    /// The read trains of a run, in the order they were saved.
    public func traces(run: Int64) throws -> [TraceRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM stm_traces WHERE run_id = ? ORDER BY idx", arguments: [run]).map { r in
                let end: Int64? = r["pulse_end_ns"]
                return TraceRecord(tile: r["tile"], row: r["row"], column: r["column"], point: r["point"], repetition: r["repetition"],
                                   amplitudeVolts: r["amplitude_volts"], widthSeconds: r["width_seconds"], pulseCount: r["pulse_count"],
                                   pulseEndNanoseconds: end.map { UInt64(bitPattern: $0) },
                                   pulseTimesNanoseconds: IntegerBlob.decodeUInt64(r["pulse_times_ns"]),
                                   timestampsNanoseconds: IntegerBlob.decodeUInt64(r["timestamps_ns"]),
                                   conductancesSiemens: DoubleBlob.decode(r["siemens"]))
            }
        }
    }

    // MARK: Pulse-response curves

    /// Appends measured pulse-response curves to a run, in one transaction.
    public func savePulseResponses(run: Int64, _ curves: [PulseResponseRecord]) throws {
        try pool.write { db in
            var next = (try Int.fetchOne(db, sql: "SELECT MAX(idx) FROM pulse_responses WHERE run_id = ?", arguments: [run]) ?? -1) + 1
            let insert = try db.cachedStatement(sql: """
                INSERT INTO pulse_responses (run_id, idx, tile, "row", "column", polarity, amplitude_volts, width_seconds, siemens)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for c in curves {
                try insert.execute(arguments: [run, next, c.tile, c.row, c.column, c.polarity, c.amplitudeVolts, c.widthSeconds,
                                               DoubleBlob.encode(c.conductancesSiemens)])
                next += 1
            }
        }
    }

    /// The pulse-response curves of a run, in the order they were saved.
    public func pulseResponses(run: Int64) throws -> [PulseResponseRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pulse_responses WHERE run_id = ? ORDER BY idx", arguments: [run]).map { r in
                PulseResponseRecord(tile: r["tile"], row: r["row"], column: r["column"], polarity: r["polarity"],
                                    amplitudeVolts: r["amplitude_volts"], widthSeconds: r["width_seconds"],
                                    conductancesSiemens: DoubleBlob.decode(r["siemens"]))
            }
        }
    }

    // MARK: Calibrations

    /// Registers a calibration file and returns its id; a file whose content digest is already
    /// registered returns that registration's id (filling in the run when it had none).
    ///
    /// - Parameter content: the file's text, kept so the calibration survives its file.
    public func registerCalibration(path: String?, contentDigest: String, content: String?, instrumentName: String,
                                    instrumentDigest: String?, formatVersion: Int?, createdAt: Date, runID: Int64?) throws -> Int64 {
        try pool.write { db in
            if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM calibrations WHERE digest = ? ORDER BY id LIMIT 1",
                                                 arguments: [contentDigest]) {
                if let runID {
                    try db.execute(sql: "UPDATE calibrations SET run_id = ? WHERE id = ? AND run_id IS NULL", arguments: [runID, existing])
                }
                return existing
            }
            try db.execute(sql: """
                INSERT INTO calibrations (instrument_name, created_at, digest, path, content, instrument_digest, format_version, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [instrumentName, createdAt.timeIntervalSince1970, contentDigest, path, content, instrumentDigest,
                                 formatVersion, runID])
            return db.lastInsertedRowID
        }
    }

    /// The calibration with this id.
    ///
    /// - Throws: ``StoreError/unknownCalibration(id:path:)`` when there is none.
    public func calibration(_ id: Int64) throws -> CalibrationRecord {
        let row = try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM calibrations WHERE id = ?", arguments: [id]) }
        guard let row else { throw StoreError.unknownCalibration(id: id, path: path) }
        return Self.calibrationRecord(row)
    }

    /// The calibrations a run measured (normally one).
    public func calibrations(madeBy run: Int64) throws -> [CalibrationRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM calibrations WHERE run_id = ? ORDER BY id", arguments: [run]).map(Self.calibrationRecord)
        }
    }

    /// The stored text of a calibration file, when it was registered with its content.
    public func calibrationContent(_ id: Int64) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT content FROM calibrations WHERE id = ?", arguments: [id]) }
    }

    static func calibrationRecord(_ r: Row) -> CalibrationRecord {
        CalibrationRecord(id: r["id"], path: r["path"], contentDigest: r["digest"], instrumentName: r["instrument_name"],
                          instrumentDigest: r["instrument_digest"], formatVersion: r["format_version"],
                          createdAt: Date(timeIntervalSince1970: r["created_at"]), runID: r["run_id"])
    }
}
