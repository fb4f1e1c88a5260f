import Foundation
import XbarBoard
import XbarDevice
import XbarStore
import XbarWire

/// Programs target conductances into one or more tiles, tile after tile, logging every
/// operation and saving each tile's outcomes and shadow map as it completes.
public final class ProgrammingJob {
    public let targets: ProgrammingTargets
    public let algorithm: ProgrammingAlgorithmKind
    public let settings: ProgrammingSettings
    public let device: NonVolatileCellParameters
    public let envelope: PulseEnvelope
    public let runner: OperationRunner
    /// Where outcomes and shadow maps go; nil keeps them in memory only.
    public let store: RunStore?
    public let runID: Int64?
    /// The cells programmed per tile index (row-major indices), or nil for every cell of every
    /// tile: a touch-up names the cells it brings back, and a tile it does not name is left alone.
    /// Only those cells' outcomes are saved, and no shadow map (the others were not verified).
    public var cells: [UInt8: [Int]]?
    /// Called after each logged operation completes (progress).
    public var onOperation: ((Int, TileReport) -> Void)?
    /// Called when a tile is done whose read-back after a board restart found cells the
    /// records called converged outside the tolerance: tile, how many (all were reprogrammed).
    public var onCellsLost: ((Int, Int) -> Void)?
    /// Called when a tile starts and after each of its operations completes: the tile, how many
    /// of its cells are settled (converged, stuck or out of pulses) and how many it has.
    public var onProgress: ((_ tile: Int, _ settledCells: Int, _ cellCount: Int) -> Void)?
    /// Called as the stages after programming go over the tiles: each relaxation pass
    /// ("relaxation pass 1") and the read-back, with the tiles done and the tiles in all.
    public var onStage: ((_ name: String, _ tilesDone: Int, _ tiles: Int) -> Void)?
    /// Asked before each operation is sent: true stops the job there with ``JobInterrupted``,
    /// so an interruption never leaves an operation half logged.
    public var shouldStop: (() -> Bool)?

    public init(targets: ProgrammingTargets, algorithm: ProgrammingAlgorithmKind, settings: ProgrammingSettings,
                device: NonVolatileCellParameters, envelope: PulseEnvelope, runner: OperationRunner,
                store: RunStore? = nil, runID: Int64? = nil) {
        self.targets = targets
        self.algorithm = algorithm
        self.settings = settings
        self.device = device
        self.envelope = envelope
        self.runner = runner
        self.store = store
        self.runID = runID
    }

    /// A fresh algorithm of the job's kind for a tile of `cellCount` cells.
    public func makeAlgorithm(cellCount: Int) -> any ProgrammingAlgorithm {
        switch algorithm {
        case .ispp: return IncrementalStepPulse(cellCount: cellCount, device: device, envelope: envelope)
        case .adaptive: return AdaptivePulse(cellCount: cellCount, device: device, envelope: envelope)
        case .fixed: return FixedAmplitudePulse(device: device, envelope: envelope)
        case .widthRamp: return WidthRampPulse(cellCount: cellCount, device: device, envelope: envelope)
        }
    }

    /// Runs the job to the end.
    ///
    /// - Parameters:
    ///   - journal: the run's logged operations so far (to resume a killed run), settled as far
    ///     as the board could tell (``RunReconciler``): those with results are replayed into the
    ///     programmers; those the board never executed are skipped; the rest (applied without a
    ///     result, or in doubt) count their pulses as used, are never re-sent, and their tile is
    ///     read first. An operation still logged as intent is marked in doubt.
    ///   - boardRestarted: the board restarted since the journal was written: every tile with
    ///     records is read back before they are trusted, and cells lost are programmed again
    ///     (``WriteVerifyProgrammer/distrustAfterRestart()``).
    /// - Throws: ``JobInterrupted`` when ``shouldStop`` asked to stop; board, store and reply
    ///   errors. The run can then be resumed.
    public func run(resuming journal: [JournalEntry] = [], boardRestarted: Bool = false) throws -> [TileReport] {
        var programmers: [WriteVerifyProgrammer] = []
        let programmed = targets.tiles.filter { cells?[$0.tile.index]?.isEmpty == false || cells == nil }.count
        for (k, (tile, siemens)) in targets.tiles.enumerated() {
            let programmer = WriteVerifyProgrammer(tile: tile, targetSiemens: siemens,
                                                   algorithm: makeAlgorithm(cellCount: tile.cellCount), settings: settings,
                                                   cells: cells.map { $0[tile.index] ?? [] })
            programmer.relaxationWaitsShared = k > 0
            // The passes touch up tile after tile and the read-backs follow them all.
            programmer.touchUpsRelaxBeforeReadBack = programmed > 1
            for entry in journal where entry.operation.tile == Int(tile.index) {
                switch entry.state {
                case .done:
                    programmer.absorb(entry.operation, measuredSiemens: entry.measuredSiemens, at: entry.resultAt ?? entry.intentAt)
                case .notApplied:
                    continue
                case .applied, .inDoubt, .intent:
                    programmer.absorbInDoubt(entry.operation)
                    if entry.state == .intent, let store, let runID { try store.markInDoubt(run: runID, seq: entry.seq) }
                }
            }
            if boardRestarted { programmer.distrustAfterRestart() }
            programmers.append(programmer)
        }
        // Tile after tile up to the relaxation passes; then each pass over every tile (one wait,
        // spent before the first tile's pass); then the read-backs, so that no tile relaxes
        // for long while another is programmed, and every tile is judged at the end of the run.
        // A pass reads every tile before it touches any up: cells start to relax about a second
        // after their last pulse, so touch-ups made tile by tile between full-tile reads would
        // leave the first tiles' youngest cells relaxing while the later tiles are read (on four
        // tiles the read-back fell from 98.7 % on the last tile to 95.8 % on the first).
        for programmer in programmers {
            try advance(programmer) { $0.relaxationPassesReached != nil }
        }
        for pass in 0..<settings.relaxationPasses {
            onStage?("relaxation pass \(pass + 1)", 0, programmers.count)
            for programmer in programmers {
                try advance(programmer, showing: false) { $0.relaxationReadsTaken > pass }
            }
            for (k, programmer) in programmers.enumerated() {
                try advance(programmer, showing: false) { ($0.relaxationPassesReached ?? 0) > pass }
                onStage?("relaxation pass \(pass + 1)", k + 1, programmers.count)
            }
        }
        var reports: [TileReport] = []
        if settings.readBack { onStage?("read-back", 0, programmers.count) }
        for (k, programmer) in programmers.enumerated() {
            try advance(programmer, showing: !settings.readBack && settings.relaxationPasses == 0) { $0.isDone }
            if settings.readBack { onStage?("read-back", k + 1, programmers.count) }
            let tile = programmer.tile
            let report = programmer.report
            if programmer.cellsLostToRestart > 0 { onCellsLost?(Int(tile.index), programmer.cellsLostToRestart) }
            if let store, let runID {
                try store.saveOutcomes(run: runID, (programmer.cells ?? Array(0..<tile.cellCount)).map { i in
                    CellOutcomeRecord(tile: Int(tile.index), row: i / Int(tile.columns), column: i % Int(tile.columns),
                                      targetSiemens: report.targetSiemens[i], outcome: report.outcomes[i].rawValue,
                                      pulses: report.pulses[i], finalSiemens: report.verifiedSiemens[i])
                })
                if programmer.cells == nil { try store.saveShadowTile(run: runID, programmer.shadowTile) }
            }
            reports.append(report)
        }
        return reports
    }

    /// Sends a tile's operations until `reached` holds or the tile is done.
    ///
    /// - Parameter showing: whether ``onProgress`` hears of it (the stages after programming
    ///   report through ``onStage`` instead).
    func advance(_ programmer: WriteVerifyProgrammer, showing: Bool = true, until reached: (WriteVerifyProgrammer) -> Bool) throws {
        let tile = Int(programmer.tile.index)
        if showing { onProgress?(tile, programmer.settledCells, programmer.tile.cellCount) }
        while !reached(programmer), let operation = programmer.nextOperation() {
            if shouldStop?() == true { throw JobInterrupted() }
            let (measured, at) = try runner.perform(operation)
            programmer.absorb(operation, measuredSiemens: measured, at: at)
            onOperation?(tile, programmer.report)
            if showing { onProgress?(tile, programmer.settledCells, programmer.tile.cellCount) }
        }
    }

    /// Re-applies a killed run's completed operations, in order, to a fresh simulated board
    /// created with the same instrument, parameters and seed. The simulated board is
    /// deterministic (same seed and requests give the same state bit for bit), so this
    /// rebuilds the exact board state the killed run had reached, except for the effect of an
    /// in-doubt operation, which the resumed run then measures like on hardware.
    ///
    /// - Parameter progress: called after each re-applied operation with how many are done
    ///   and how many there are (a long run's replay takes a while).
    public static func replay(_ journal: [JournalEntry], onto board: any Board,
                              settle: (Double) throws -> Void,
                              progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws {
        let done = journal.filter { $0.state == .done }
        for (k, entry) in done.enumerated() {
            _ = try OperationRunner.execute(entry.operation, on: board, settle: settle)
            progress(k + 1, done.count)
        }
    }
}
