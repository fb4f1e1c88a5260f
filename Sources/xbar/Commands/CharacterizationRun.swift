import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// What the characterization commands (form, sweep, retention, endurance, disturb) share: the cells they
/// act on and how a run ends.
enum CharacterizationRun {
    /// The selected cells of a non-volatile tile of the instrument.
    ///
    /// - Throws: `ValidationError` naming `--tile` or `--cells` when they name no such cells.
    static func cells(_ selection: CellSelection, of instrument: Instrument) throws -> (UInt8, [CellIndex]) {
        let (set, cells) = try selected(selection, of: instrument)
        return (set.tile, cells)
    }

    /// The selection as the board's cell set and as the cells it names, in its order.
    ///
    /// - Throws: `ValidationError` naming `--tile` or `--cells` when they name no such cells.
    static func selected(_ selection: CellSelection, of instrument: Instrument) throws -> (set: CellSet, cells: [CellIndex]) {
        let set = try selection.cellSet()
        guard let info = instrument.tile(set.tile), instrument.weightTiles.contains(where: { $0.index == set.tile }) else {
            throw ValidationError("--tile \(set.tile): not a non-volatile tile of \(instrument.name)")
        }
        do {
            return (set, try set.cells(rows: Int(info.rows), columns: Int(info.columns)))
        } catch {
            throw ValidationError("--cells \(selection.cells): \(error)")
        }
    }

    /// Runs `body` for run `id`, marking the run completed, interrupted (exit 130, with the
    /// command that continues it when there is one) or failed.
    ///
    /// - Parameter progress: how far an interrupted run got ("after 12 of 64 cells"), when the
    ///   command counts it.
    static func finish(_ id: Int64, store: RunStore, display: ProgressDisplay, interruption: Interruption, resume: String?,
                       progress: () -> String? = { nil }, _ body: () throws -> Void) throws {
        do {
            try body()
            display.end()
            try store.finishRun(id, status: .completed)
        } catch is JobInterrupted {
            display.abandon()
            let got = progress().map { " \($0)" } ?? ""
            try store.finishRun(id, status: .interrupted, message: "stopped by \(interruption.signalName)\(got); what it measured is kept")
            let next = resume.map { "; continue it with:\n  \($0)" } ?? " (its measurements are kept: xbar runs export \(id) --out FILE.csv)"
            FileHandle.standardError.write(Data("run \(id) interrupted\(got)\(next)\n".utf8))
            throw ExitStatus.interrupted
        } catch {
            display.abandon()
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw error
        }
    }
}
