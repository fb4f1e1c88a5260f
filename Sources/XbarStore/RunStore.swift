import Foundation
import GRDB

/// The lab's run store: one SQLite file (write-ahead logging) holding runs, the per-cell
/// ledger of every operation sent to a board, reads, targets, outcomes and shadow maps.
///
/// Every write is a transaction, so a process killed at any instant leaves either the whole
/// record or none of it. Safe to use from several threads and processes at once.
public final class RunStore: Sendable {
    /// The default store file: `$XBAR_STORE`, else `./xbarlab.sqlite`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["XBAR_STORE"] ?? "xbarlab.sqlite"
    }

    public let path: String
    let pool: DatabasePool

    /// How a command uses a store.
    public enum Access: Sendable {
        /// Creates the store when it is missing and upgrades an older schema.
        case readWrite
        /// Never creates, upgrades or writes: the store must exist and have this build's schema.
        /// A store in a read-only file or folder can be read this way.
        case readOnly
    }

    /// Opens the store at `path`: with `.readWrite` creating it if needed and upgrading an older
    /// schema, with `.readOnly` only reading an existing one.
    ///
    /// - Throws: ``StoreError/noStore(path:)`` when `.readOnly` finds no file;
    ///   ``StoreError/newerSchema(path:storeVersion:buildVersion:)`` when the store was written
    ///   by a newer build (nothing is written to it); ``StoreError/olderSchema(path:storeVersion:buildVersion:)``
    ///   when `.readOnly` finds a store this build would first have to upgrade;
    ///   ``StoreError/cannotOpen(path:reason:)`` when the file cannot be opened or is not a run store.
    public init(path: String, access: Access = .readWrite) throws(StoreError) {
        self.path = path
        if access == .readOnly, !FileManager.default.fileExists(atPath: path) { throw .noStore(path: path) }
        let migrator = StoreSchema.migrator
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.readonly = access == .readOnly
        var opened: (DatabasePool, Set<String>)
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            opened = (pool, try pool.read { db in try migrator.appliedIdentifiers(db) })
        } catch {
            // A write-ahead-log store in a folder that takes no new files cannot be read the
            // usual way (readers need its shared-memory file). No writer can be at work on such
            // a store (a writer needs that file too), so it is read as an unchanging file.
            guard access == .readOnly, let immutable = Self.immutableURI(path) else {
                throw .cannotOpen(path: path, reason: "\(error)")
            }
            do {
                let pool = try DatabasePool(path: immutable, configuration: config)
                opened = (pool, try pool.read { db in try migrator.appliedIdentifiers(db) })
            } catch {
                throw .cannotOpen(path: path, reason: "\(error)")
            }
        }
        pool = opened.0
        let applied = opened.1
        let known = migrator.migrations
        if applied.contains(where: { !known.contains($0) }) {
            throw .newerSchema(path: path, storeVersion: applied.count, buildVersion: known.count)
        }
        if applied.count < known.count {
            guard access == .readWrite else {
                throw .olderSchema(path: path, storeVersion: applied.count, buildVersion: known.count)
            }
            do { try migrator.migrate(pool) } catch { throw .cannotOpen(path: path, reason: "\(error)") }
        }
    }

    /// The SQLite URI that opens `path` as a file nothing changes, or nil when the path cannot
    /// be written as a URI.
    private static func immutableURI(_ path: String) -> String? {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let encoded = absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%"))) else {
            return nil
        }
        return "file:\(encoded)?immutable=1"
    }

    /// The schema version this build writes: the number of its migrations.
    public static var schemaVersion: Int { StoreSchema.migrator.migrations.count }

    // MARK: Runs

    /// Records the start of a run and returns its id.
    public func startRun(_ draft: RunDraft, at date: Date = Date()) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO runs (kind, user, started_at, backend, board_model, board_serial, board_firmware,
                    instrument_name, instrument_version, instrument_digest, calibration_id, arguments_json, status,
                    note, sample)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [draft.kind, draft.user, date.timeIntervalSince1970, draft.backend,
                                 draft.boardModel, draft.boardSerial, draft.boardFirmware, draft.instrumentName,
                                 draft.instrumentVersion, draft.instrumentDigest, draft.calibrationID,
                                 draft.argumentsJSON, RunStatus.running.rawValue, draft.note, draft.sample])
            return db.lastInsertedRowID
        }
    }

    /// Records how a run ended.
    public func finishRun(_ id: Int64, status: RunStatus, message: String? = nil, at date: Date = Date()) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, ended_at = ?, message = ? WHERE id = ?",
                           arguments: [status.rawValue, status == .running ? nil : date.timeIntervalSince1970, message, id])
            if status != .running { try Self.writeLedgerColumns(db, run: id) }
        }
    }

    /// Updates the board a run talks to (a resumed run may reach it by another path).
    public func updateBackend(_ id: Int64, backend: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET backend = ? WHERE id = ?", arguments: [backend, id])
        }
    }

    /// Replaces the arguments a run records to be resumed (a resumed run whose board moved).
    public func updateArguments(_ id: Int64, json: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET arguments_json = ? WHERE id = ?", arguments: [json, id])
        }
    }

    /// The run with this id.
    ///
    /// - Throws: ``StoreError/unknownRun(id:path:)`` when there is none.
    public func run(_ id: Int64) throws -> RunRecord {
        let row = try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) }
        guard let row else { throw StoreError.unknownRun(id: id, path: path) }
        return Self.record(row)
    }

    /// All runs, newest first.
    public func runs(limit: Int = 1000) throws -> [RunRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.record)
        }
    }

    static func record(_ row: Row) -> RunRecord {
        let draft = RunDraft(kind: row["kind"], user: row["user"], backend: row["backend"],
                             boardModel: row["board_model"], boardSerial: row["board_serial"],
                             boardFirmware: row["board_firmware"], instrumentName: row["instrument_name"],
                             instrumentVersion: row["instrument_version"], instrumentDigest: row["instrument_digest"],
                             calibrationID: row["calibration_id"], argumentsJSON: row["arguments_json"],
                             note: row["note"], sample: row["sample"])
        let ended: Double? = row["ended_at"]
        return RunRecord(id: row["id"], draft: draft, startedAt: Date(timeIntervalSince1970: row["started_at"]),
                         endedAt: ended.map(Date.init(timeIntervalSince1970:)),
                         status: RunStatus(rawValue: row["status"]) ?? .failed, message: row["message"])
    }

    // MARK: Journal

    /// Logs an operation as intent, before it is sent, and returns its sequence number in the run.
    /// The exact pulses (or cells to read) are in the ledger when this returns.
    public func logIntent(run: Int64, _ operation: JournalOperation, wireSequence: Int? = nil,
                          boardSession: UInt64? = nil, at date: Date = Date()) throws -> Int {
        try pool.write { db in
            let seq = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM operations WHERE run_id = ?", arguments: [run]) ?? -1) + 1
            var scheme: Int?, volts: Double?, averages: Int?, settle: Double?, rows: Int?, columns: Int?, range: Int?
            var whole = false
            switch operation {
            case let .pulseBatch(_, s, v, a, _): (scheme, volts, averages) = (s, v, a)
            case let .read(_, cells, r, c, v, a, g): (volts, averages, rows, columns, whole, range) = (v, a, r, c, cells == nil, g)
            case let .settle(_, s): settle = s
            }
            try db.execute(sql: """
                INSERT INTO operations (run_id, seq, tile, kind, state, wire_sequence, board_session, scheme, read_volts,
                    averages, settle_seconds, rows, columns, whole_tile, sense_range, intent_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run, seq, operation.tile, operation.kind, OperationState.intent.rawValue, wireSequence,
                                 boardSession.map(BoardSessionRecord.text), scheme, volts, averages, settle, rows, columns,
                                 whole, range, date.timeIntervalSince1970])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO ledger (run_id, seq, idx, tile, "row", "column", amplitude_volts, width_seconds,
                    verify_averages, verify_sense_range)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            switch operation {
            case .pulseBatch(let tile, _, _, _, let pulses):
                for (i, p) in pulses.enumerated() {
                    try insert.execute(arguments: [run, seq, i, tile, p.row, p.column, p.amplitudeVolts, p.widthSeconds,
                                                   p.verify?.averages, p.verify?.senseRange])
                }
            case .read(let tile, _, _, _, _, _, _):
                for (i, c) in operation.cells.enumerated() {
                    try insert.execute(arguments: [run, seq, i, tile, c.row, c.column, nil, nil, nil, nil])
                }
            case .settle:
                break
            }
            return seq
        }
    }

    /// Logs the result of an operation: the measured conductances in its cell order.
    public func logResult(run: Int64, seq: Int, measuredSiemens: [Double], at date: Date = Date()) throws {
        try pool.write { db in
            let state = try String.fetchOne(db, sql: "SELECT state FROM operations WHERE run_id = ? AND seq = ?",
                                            arguments: [run, seq])
            guard state == OperationState.intent.rawValue else {
                throw StoreError.badOperationState(run: run, seq: seq, state: state ?? "missing")
            }
            try db.execute(sql: "UPDATE operations SET state = ?, result_at = ? WHERE run_id = ? AND seq = ?",
                           arguments: [OperationState.done.rawValue, date.timeIntervalSince1970, run, seq])
            let update = try db.cachedStatement(sql: "UPDATE ledger SET measured_siemens = ? WHERE run_id = ? AND seq = ? AND idx = ?")
            for (i, g) in measuredSiemens.enumerated() {
                try update.execute(arguments: [g, run, seq, i])
            }
        }
    }

    /// Marks an operation found without a result as in doubt (it will never be re-sent).
    public func markInDoubt(run: Int64, seq: Int) throws {
        try settle(run: run, seq: seq, as: .inDoubt)
    }

    /// Records how an operation found without a result was settled: `.inDoubt`, `.notApplied`
    /// or `.applied`. Only an operation still logged as intent changes.
    public func settle(run: Int64, seq: Int, as state: OperationState) throws {
        precondition(state == .inDoubt || state == .notApplied || state == .applied, "an intent settles as in doubt, not applied or applied")
        try pool.write { db in
            try db.execute(sql: "UPDATE operations SET state = ? WHERE run_id = ? AND seq = ? AND state = ?",
                           arguments: [state.rawValue, run, seq, OperationState.intent.rawValue])
        }
    }

    /// Cell-pulses of a run that count as applied: those of operations `done` or settled as
    /// `applied`. What the board's pulse counter is compared with.
    public func appliedPulses(run: Int64) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM ledger l JOIN operations o ON o.run_id = l.run_id AND o.seq = l.seq
                WHERE l.run_id = ? AND o.kind = 'pulse_batch' AND o.state IN ('done', 'applied')
                """, arguments: [run]) ?? 0
        }
    }

    /// Records that a run reached a board session, with the board's pulse counter and the run's
    /// applied pulses at that moment.
    public func openBoardSession(run: Int64, _ record: BoardSessionRecord) throws {
        try pool.write { db in
            let idx = (try Int.fetchOne(db, sql: "SELECT MAX(idx) FROM board_sessions WHERE run_id = ?", arguments: [run]) ?? -1) + 1
            try db.execute(sql: """
                INSERT INTO board_sessions (run_id, idx, session, counter_start, ledger_start, opened_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [run, idx, record.session.map(BoardSessionRecord.text), Int64(bitPattern: record.counterStart),
                                 record.ledgerStart, record.openedAt.timeIntervalSince1970])
        }
    }

    /// The board sessions a run reached, in order.
    public func boardSessions(run: Int64) throws -> [BoardSessionRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM board_sessions WHERE run_id = ? ORDER BY idx", arguments: [run]).map { row in
                let text: String? = row["session"]
                let counter: Int64 = row["counter_start"]
                return BoardSessionRecord(session: text.flatMap(BoardSessionRecord.session), counterStart: UInt64(bitPattern: counter),
                                          ledgerStart: row["ledger_start"], openedAt: Date(timeIntervalSince1970: row["opened_at"]))
            }
        }
    }

    /// Every logged operation of a run in order, with its ledger rows.
    public func journal(run: Int64) throws -> [JournalEntry] {
        try pool.read { db in
            let ops = try Row.fetchAll(db, sql: "SELECT * FROM operations WHERE run_id = ? ORDER BY seq", arguments: [run])
            let ledger = try Row.fetchAll(db, sql: """
                SELECT seq, "row", "column", amplitude_volts, width_seconds, measured_siemens, verify_averages, verify_sense_range
                FROM ledger WHERE run_id = ? ORDER BY seq, idx
                """, arguments: [run])
            var bySeq: [Int: [Row]] = [:]
            for r in ledger { bySeq[r["seq"], default: []].append(r) }
            return ops.map { op in
                let seq: Int = op["seq"]
                let cells = bySeq[seq] ?? []
                let tile: Int = op["tile"]
                let operation: JournalOperation
                switch op["kind"] as String {
                case "pulse_batch":
                    operation = .pulseBatch(tile: tile, scheme: op["scheme"], verifyReadVolts: op["read_volts"],
                                            averages: op["averages"],
                                            pulses: cells.map { r in
                                                let averages: Int? = r["verify_averages"]
                                                return LedgerPulse(row: r["row"], column: r["column"], amplitudeVolts: r["amplitude_volts"],
                                                                   widthSeconds: r["width_seconds"],
                                                                   verify: averages.map { LedgerVerify(senseRange: r["verify_sense_range"], averages: $0) })
                                            })
                case "read":
                    let whole: Bool = op["whole_tile"]
                    operation = .read(tile: tile, cells: whole ? nil : cells.map { CellAddress(row: $0["row"], column: $0["column"]) },
                                      rows: op["rows"], columns: op["columns"], readVolts: op["read_volts"], averages: op["averages"],
                                      senseRange: op["sense_range"])
                default:
                    operation = .settle(tile: tile, seconds: op["settle_seconds"])
                }
                let state = OperationState(rawValue: op["state"]) ?? .intent
                let measured: [Double] = state == .done ? cells.compactMap { $0["measured_siemens"] } : []
                let resultAt: Double? = op["result_at"]
                let session: String? = op["board_session"]
                return JournalEntry(seq: seq, operation: operation, state: state, wireSequence: op["wire_sequence"],
                                    boardSession: session.flatMap(BoardSessionRecord.session),
                                    measuredSiemens: measured, intentAt: Date(timeIntervalSince1970: op["intent_at"]),
                                    resultAt: resultAt.map(Date.init(timeIntervalSince1970:)))
            }
        }
    }

    /// How many operations of a run are logged, and how many of them have results.
    public func operationCounts(run: Int64) throws -> (logged: Int, done: Int) {
        try pool.read { db in
            let logged = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operations WHERE run_id = ?", arguments: [run]) ?? 0
            let done = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operations WHERE run_id = ? AND state = 'done'", arguments: [run]) ?? 0
            return (logged, done)
        }
    }

    /// A run's logged operations by state, counted in the store without loading the ledger.
    public func operationStateCounts(run: Int64) throws -> [OperationState: Int] {
        try pool.read { db in
            var out: [OperationState: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM operations WHERE run_id = ? GROUP BY state",
                                      arguments: [run]) {
                if let s = OperationState(rawValue: r["state"]) { out[s] = r["n"] }
            }
            return out
        }
    }

    /// Cell-pulses of a run by operation state: what was certainly applied (`done`) and what
    /// may have been (`intent`, `in_doubt`).
    public func pulseCounts(run: Int64) throws -> [OperationState: Int] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.state AS state, COUNT(*) AS n FROM ledger l JOIN operations o
                ON o.run_id = l.run_id AND o.seq = l.seq
                WHERE l.run_id = ? AND o.kind = 'pulse_batch' GROUP BY o.state
                """, arguments: [run])
            var out: [OperationState: Int] = [:]
            for r in rows { if let s = OperationState(rawValue: r["state"]) { out[s] = r["n"] } }
            return out
        }
    }

    // MARK: Targets, outcomes, shadow maps

    /// Saves the target conductances of a tile, siemens, row-major.
    public func saveTargets(run: Int64, tile: Int, rows: Int, columns: Int, siemens: [Double]) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO targets (run_id, tile, rows, columns, siemens) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run, tile, rows, columns, DoubleBlob.encode(siemens)])
        }
    }

    /// The target conductances of a run by tile: (rows, columns, siemens row-major).
    public func targets(run: Int64) throws -> [Int: (rows: Int, columns: Int, siemens: [Double])] {
        try pool.read { db in
            var out: [Int: (rows: Int, columns: Int, siemens: [Double])] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT * FROM targets WHERE run_id = ?", arguments: [run]) {
                out[r["tile"]] = (r["rows"], r["columns"], DoubleBlob.decode(r["siemens"]))
            }
            return out
        }
    }

    /// Saves (replacing) the per-cell outcomes of a tile.
    public func saveOutcomes(run: Int64, _ outcomes: [CellOutcomeRecord]) throws {
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO outcomes (run_id, tile, "row", "column", target_siemens, outcome, pulses, final_siemens)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for o in outcomes {
                try insert.execute(arguments: [run, o.tile, o.row, o.column, o.targetSiemens, o.outcome, o.pulses, o.finalSiemens])
            }
        }
    }

    /// The per-cell outcomes of a run, by tile, row and column.
    public func outcomes(run: Int64) throws -> [CellOutcomeRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM outcomes WHERE run_id = ? ORDER BY tile, "row", "column"
                """, arguments: [run]).map {
                CellOutcomeRecord(tile: $0["tile"], row: $0["row"], column: $0["column"], targetSiemens: $0["target_siemens"],
                                  outcome: $0["outcome"], pulses: $0["pulses"], finalSiemens: $0["final_siemens"])
            }
        }
    }

    /// Saves (replacing) one tile of a run's shadow map.
    public func saveShadowTile(run: Int64, _ tile: ShadowMap.Tile, at date: Date = Date()) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO shadow_maps (run_id, tile, rows, columns, siemens, verified_at, saved_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [run, tile.index, tile.rows, tile.columns, DoubleBlob.encode(tile.siemens),
                                 DoubleBlob.encode(tile.verifiedAt.map(\.timeIntervalSince1970)), date.timeIntervalSince1970])
        }
    }

    /// The shadow map a run saved (empty when it saved none).
    public func shadowMap(run: Int64) throws -> ShadowMap {
        try pool.read { db in
            var map = ShadowMap()
            for r in try Row.fetchAll(db, sql: "SELECT * FROM shadow_maps WHERE run_id = ?", arguments: [run]) {
                let tile = ShadowMap.Tile(index: r["tile"], rows: r["rows"], columns: r["columns"],
                                          siemens: DoubleBlob.decode(r["siemens"]),
                                          verifiedAt: DoubleBlob.decode(r["verified_at"]).map(Date.init(timeIntervalSince1970:)))
                map.tiles[tile.index] = tile
            }
            return map
        }
    }

    /// The newest verified state of every tile of a board, across runs: for each tile the
    /// shadow tile saved last by a run on a board with this model and serial number.
    public func latestShadowMap(boardModel: String, boardSerial: String) throws -> ShadowMap {
        try pool.read { db in
            var map = ShadowMap()
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.* FROM shadow_maps s JOIN runs r ON r.id = s.run_id
                WHERE r.board_model = ? AND r.board_serial = ? ORDER BY s.saved_at
                """, arguments: [boardModel, boardSerial])
            for r in rows {
                let tile = ShadowMap.Tile(index: r["tile"], rows: r["rows"], columns: r["columns"],
                                          siemens: DoubleBlob.decode(r["siemens"]),
                                          verifiedAt: DoubleBlob.decode(r["verified_at"]).map(Date.init(timeIntervalSince1970:)))
                map.tiles[tile.index] = tile
            }
            return map
        }
    }
}
