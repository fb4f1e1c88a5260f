import Foundation
import GRDB

/// One cell's result of a forming run.
public struct FormingResultRecord: Sendable, Hashable {
    public var tile: Int
    public var row: Int
    public var column: Int
    /// "formed", "failed" or "over-formed".
    public var outcome: String
    /// The step that formed the cell, volts; nil when it never formed.
    public var formingVolts: Double?
    /// Read conductance at the end of the ramp, siemens.
    public var formedSiemens: Double
    /// Read conductance after the RESET check, siemens.
    public var afterResetSiemens: Double

    public init(tile: Int, row: Int, column: Int, outcome: String, formingVolts: Double?, formedSiemens: Double,
                afterResetSiemens: Double) {
        self.tile = tile
        self.row = row
        self.column = column
        self.outcome = outcome
        self.formingVolts = formingVolts
        self.formedSiemens = formedSiemens
        self.afterResetSiemens = afterResetSiemens
    }
}

/// One cell's I–V curve as a board measured it, with what was extracted.
public struct IVCurveRecord: Sendable, Hashable {
    public var tile: Int
    public var row: Int
    public var column: Int
    /// Board time of each step's end, nanoseconds.
    public var boardTimeNanoseconds: [UInt64]
    /// Step voltages, volts.
    public var volts: [Double]
    /// Currents at the steps, amperes.
    public var amperes: [Double]
    /// Currents of the reads after the steps, amperes.
    public var readAmperes: [Double]
    /// First cycle's SET voltage, volts; nil when none was found.
    public var setVolts: Double?
    /// First cycle's RESET voltage (magnitude), volts; nil when none was found.
    public var resetVolts: Double?
    public var onOffRatio: Double?

    public init(tile: Int, row: Int, column: Int, boardTimeNanoseconds: [UInt64], volts: [Double], amperes: [Double],
                readAmperes: [Double], setVolts: Double?, resetVolts: Double?, onOffRatio: Double?) {
        self.tile = tile
        self.row = row
        self.column = column
        self.boardTimeNanoseconds = boardTimeNanoseconds
        self.volts = volts
        self.amperes = amperes
        self.readAmperes = readAmperes
        self.setVolts = setVolts
        self.resetVolts = resetVolts
        self.onOffRatio = onOffRatio
    }
}

extension RunStore {
    /// Saves (replacing) forming results of a run.
    public func saveFormingResults(run: Int64, _ results: [FormingResultRecord]) throws {
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO forming_results (run_id, tile, "row", "column", outcome, forming_volts, formed_siemens, after_reset_siemens)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for r in results {
                try insert.execute(arguments: [run, r.tile, r.row, r.column, r.outcome, r.formingVolts, r.formedSiemens, r.afterResetSiemens])
            }
        }
    }

    /// A run's forming results, by tile, row and column.
    public func formingResults(run: Int64) throws -> [FormingResultRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM forming_results WHERE run_id = ? ORDER BY tile, "row", "column"
                """, arguments: [run]).map(Self.formingResult)
        }
    }

    /// The cells of a board whose newest forming result, across the form runs on a board of
    /// this model and serial number, is not "formed": the cells a program must not target.
    public func unformedCells(boardModel: String, boardSerial: String) throws -> [FormingResultRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.* FROM forming_results f JOIN runs r ON r.id = f.run_id
                WHERE r.board_model = ? AND r.board_serial = ? AND f.outcome != 'formed'
                  AND f.run_id = (SELECT MAX(g.run_id) FROM forming_results g JOIN runs s ON s.id = g.run_id
                                  WHERE s.board_model = r.board_model AND s.board_serial = r.board_serial
                                    AND g.tile = f.tile AND g."row" = f."row" AND g."column" = f."column")
                ORDER BY f.tile, f."row", f."column"
                """, arguments: [boardModel, boardSerial]).map(Self.formingResult)
        }
    }

    private static func formingResult(_ r: Row) -> FormingResultRecord {
        FormingResultRecord(tile: r["tile"], row: r["row"], column: r["column"], outcome: r["outcome"],
                            formingVolts: r["forming_volts"], formedSiemens: r["formed_siemens"],
                            afterResetSiemens: r["after_reset_siemens"])
    }

    /// Saves (replacing) I–V curves of a run.
    public func saveIVCurves(run: Int64, _ curves: [IVCurveRecord]) throws {
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO iv_curves (run_id, tile, "row", "column", board_time_ns, volts, amperes, read_amperes,
                                                  set_volts, reset_volts, on_off_ratio)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for c in curves {
                try insert.execute(arguments: [run, c.tile, c.row, c.column, IntegerBlob.encode(c.boardTimeNanoseconds),
                                               DoubleBlob.encode(c.volts), DoubleBlob.encode(c.amperes),
                                               DoubleBlob.encode(c.readAmperes), c.setVolts, c.resetVolts,
                                               c.onOffRatio.flatMap { $0.isFinite ? $0 : nil }])
            }
        }
    }

    /// A run's I–V curves, by tile, row and column.
    public func ivCurves(run: Int64) throws -> [IVCurveRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM iv_curves WHERE run_id = ? ORDER BY tile, "row", "column"
                """, arguments: [run]).map { r in
                IVCurveRecord(tile: r["tile"], row: r["row"], column: r["column"],
                              boardTimeNanoseconds: IntegerBlob.decodeUInt64(r["board_time_ns"]),
                              volts: DoubleBlob.decode(r["volts"]), amperes: DoubleBlob.decode(r["amperes"]),
                              readAmperes: DoubleBlob.decode(r["read_amperes"]), setVolts: r["set_volts"],
                              resetVolts: r["reset_volts"], onOffRatio: r["on_off_ratio"])
            }
        }
    }
}
