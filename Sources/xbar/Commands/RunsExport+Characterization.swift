import ArgumentParser
import Foundation
import XbarJobs
import XbarStore

extension RunsCommand.Export {
    /// The columns of an exported I–V point, in order.
    static let ivColumns = "tile,row,column,step,board_time_ns,volts,amperes,read_amperes"

    /// Exports a form or sweep run: its I–V points (CSV with ``ivColumns``, or the same columns as
    /// an N x 8 float64 .npy), or with --cells one line per cell (a form run: outcome, forming
    /// voltage, conductances; a sweep run: SET and RESET voltages and on/off ratio).
    /// Returns false for runs of other kinds.
    func exportCharacterization(_ record: RunRecord, store: RunStore) throws -> Bool {
        guard ["form", "sweep"].contains(record.draft.kind) else { return false }
        if cells {
            var text: String
            var count = 0
            if record.draft.kind == "form" {
                text = "tile,row,column,outcome,forming_volts,formed_siemens,after_reset_siemens\n"
                for r in try store.formingResults(run: runID) {
                    text += "\(r.tile),\(r.row),\(r.column),\(r.outcome),\(r.formingVolts.map { "\($0)" } ?? ""),\(r.formedSiemens),\(r.afterResetSiemens)\n"
                    count += 1
                }
            } else {
                text = "tile,row,column,set_volts,reset_volts,on_off_ratio\n"
                for c in try store.ivCurves(run: runID) {
                    let cols = [c.setVolts, c.resetVolts, c.onOffRatio].map { $0.map { "\($0)" } ?? "" }
                    text += "\(c.tile),\(c.row),\(c.column),\(cols.joined(separator: ","))\n"
                    count += 1
                }
            }
            try text.write(toFile: out, atomically: true, encoding: .utf8)
            print("wrote \(count) cells of run \(runID) to \(out)")
            return true
        }
        var rows: [[Double]] = []
        for c in try store.ivCurves(run: runID) {
            for k in c.volts.indices {
                rows.append([Double(c.tile), Double(c.row), Double(c.column), Double(k), Double(c.boardTimeNanoseconds[k]),
                             c.volts[k], c.amperes[k], c.readAmperes[k]])
            }
        }
        guard !rows.isEmpty else { throw ValidationError("run \(runID) (\(record.draft.kind)) stored no I–V curves") }
        switch format {
        case .csv:
            var text = Self.ivColumns + "\n"
            for r in rows {
                text += "\(Int(r[0])),\(Int(r[1])),\(Int(r[2])),\(Int(r[3])),\(UInt64(r[4])),\(r[5]),\(r[6]),\(r[7])\n"
            }
            try text.write(toFile: out, atomically: true, encoding: .utf8)
        case .npy:
            try NPYFile.write(ConductanceMap(rows: rows.count, columns: 8, siemens: rows.flatMap { $0 }), path: out)
        }
        print("wrote \(rows.count) I–V points (\(Self.ivColumns)) of run \(runID) to \(out)")
        return true
    }
}
