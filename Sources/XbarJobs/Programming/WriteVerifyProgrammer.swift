import Foundation
import XbarStore
import XbarWire

/// Write-verify programming of one tile, as a state machine over logged operations.
///
/// The programmer decides the next operation (``nextOperation()``: a full-tile read, a batch of
/// per-cell pulses with a verify read, or a settle wait) and learns only from results handed to
/// ``absorb(_:measuredSiemens:at:)``. Deciding never changes state, so replaying a run's ledger
/// through `absorb` rebuilds exactly the state a killed run had; an operation whose result was
/// never logged goes to ``absorbInDoubt(_:)`` instead: its pulses count as used, and the next
/// operation reads the whole tile before anything else is pulsed.
///
/// The loop: read the tile; then batches of one pulse for every unconverged cell, each batch
/// verified by the board in the same round trip; under a half-select bias scheme a full-tile
/// read every few batches re-opens converged cells a neighbour's pulses disturbed; when no cell
/// is open, a full-tile verify read (and after an optional settle wait, another) re-opens cells
/// that drifted out of tolerance. Then the relaxation passes (``ProgrammingSettings/relaxationPasses``):
/// waits spaced a decade apart in log time, each followed by a full-tile read and touch-ups of the
/// cells outside the accept band; and, if asked, a read-back of the whole tile that changes
/// nothing (``TileReport/readBackSiemens``).
public final class WriteVerifyProgrammer {
    enum Phase: Equatable {
        case initialRead, pulsing, disturbCheck, finalVerify, settle, settleRead, restartRead
        case relaxationWait, relaxationRead, readBack, done
    }
    enum CellState: Equatable {
        case open, converged, stuck, outOfPulses
        /// Outside ``WriteVerifyProgrammer/cells``: never read, never pulsed.
        case held
    }

    public let tile: TileInfo
    public let settings: ProgrammingSettings
    public let algorithm: any ProgrammingAlgorithm
    public let targetSiemens: [Double]
    /// The cells programmed (row-major indices, ascending), or nil for every cell of the tile.
    /// A touch-up names the cells it means to bring back; the others are neither read nor
    /// pulsed, and the job's reads cover only the named cells.
    public let cells: [Int]?
    /// The relaxation waits are spent before an earlier tile's passes of the same run: this
    /// tile's passes follow those at once (its waits are zero), so every tile of the run is
    /// judged at nearly the same time and none relaxes while another is programmed.
    public var relaxationWaitsShared = false
    /// Other tiles' touch-ups and read-backs come between this tile's last touch-ups and its
    /// read-back, so the cells touched up last have started to relax when the run is judged:
    /// the last relaxation pass brings them within ``ProgrammingSettings/touchUpAcceptFraction``.
    public var touchUpsRelaxBeforeReadBack = false

    var phase = Phase.initialRead
    var needsRecoveryRead = false
    var settled = false
    var finalVerifies = 0
    var relaxationPassesDone = 0
    /// Touch-up batches since the last relaxation pass's full read.
    var touchUpRounds = 0
    /// Set once the first relaxation wait has passed: later pulses and conversions are the passes' cost.
    var inRelaxationPasses = false
    var batches = 0
    var states: [CellState]
    var measured: [Double]
    var verifiedAt: [Date]
    var pulses: [Int]
    /// Pulses a cell had used when its budget last started: 0, or its count when a board restart
    /// lost its programmed state and it was programmed afresh.
    var budgetStart: [Int]
    var silentMaximalPulses: [Int]
    /// Per cell, the averages and one conversion's noise (siemens) of its latest verify read:
    /// its read noise in accept and stuck decisions (``readNoise(cell:at:)``).
    var readAverages: [Int]
    var readConverterSiemens: [Double]
    /// A verify in sense ranges under way (``ProgrammingSettings/verifyRanges``): the reads
    /// still to come, next first.
    var rangedReads: [VerifyRanges.Read] = []
    var inRangedVerify = false
    /// The batch the ranged verify under way verifies (nil: a full read): each pulse, the
    /// conductance its cell read before it, and whether it was the cell's maximal pulse.
    var rangedBatch: [(pulse: LedgerPulse, beforeSiemens: Double, isMaximal: Bool)]?
    /// Cells whose records said converged and whose read-back after a board restart did not
    /// confirm it: programmed again with a fresh budget.
    public private(set) var cellsLostToRestart = 0
    public private(set) var roundTrips = 0
    /// Conversions so far: every cell read, counted once per averaged read.
    public private(set) var conversions = 0
    /// Pulses and conversions the relaxation passes took (their waits, reads and touch-ups).
    public internal(set) var relaxationPulses = 0
    public private(set) var relaxationConversions = 0
    /// The read-back after the run, siemens, row-major; nil until it is done.
    public private(set) var readBackSiemens: [Double]?

    /// - Parameters:
    ///   - targetSiemens: row-major, `tile.rows * tile.columns` values.
    ///   - cells: the cells to program (row-major indices); nil programs the whole tile.
    public init(tile: TileInfo, targetSiemens: [Double], algorithm: any ProgrammingAlgorithm, settings: ProgrammingSettings,
                cells: [Int]? = nil) {
        precondition(targetSiemens.count == tile.cellCount, "one target per cell of the tile")
        self.tile = tile
        self.targetSiemens = targetSiemens
        self.algorithm = algorithm
        self.settings = settings
        let n = tile.cellCount
        let chosen = cells.map { Array(Set($0.filter { (0..<n).contains($0) })).sorted() }
        self.cells = chosen
        states = Array(repeating: chosen == nil ? .open : .held, count: n)
        for i in chosen ?? [] { states[i] = .open }
        if chosen?.isEmpty == true { phase = .done }
        measured = Array(repeating: .nan, count: n)
        verifiedAt = Array(repeating: Date(timeIntervalSince1970: 0), count: n)
        pulses = Array(repeating: 0, count: n)
        budgetStart = Array(repeating: 0, count: n)
        silentMaximalPulses = Array(repeating: 0, count: n)
        readAverages = Array(repeating: settings.verifyAverages, count: n)
        readConverterSiemens = Array(repeating: 0, count: n)
    }

    public var isDone: Bool { phase == .done }

    /// How far the tile has got towards its end: relaxation passes done, or nil before the
    /// first pass's wait has been reached. Reaching ``relaxationPasses`` means only the
    /// read-back (if any) is left.
    public var relaxationPassesReached: Int? {
        switch phase {
        case .relaxationWait: return relaxationPassesDone
        case .readBack, .done: return settings.relaxationPasses
        default: return nil
        }
    }

    /// Relaxation passes whose full-tile read has been taken (the pass's touch-ups may still be
    /// to come).
    public var relaxationReadsTaken: Int { relaxationPassesDone }

    /// Cells no longer being programmed: converged, stuck or out of pulses.
    public var settledCells: Int { states.reduce(0) { $0 + ($1 == .open ? 0 : 1) } }

    /// A read of every cell the job programs: the whole tile, or the named cells.
    var fullRead: JournalOperation {
        let columns = Int(tile.columns)
        return .read(tile: Int(tile.index), cells: cells.map { $0.map { CellAddress(row: $0 / columns, column: $0 % columns) } },
                     rows: Int(tile.rows), columns: columns, readVolts: settings.readVolts, averages: settings.verifyAverages)
    }

    /// Whether a read's cells are all the job programs (then it is what the job's full reads are).
    func readsEveryProgrammedCell(_ read: [CellAddress]?) -> Bool {
        guard let read else { return true }
        guard let cells else { return false }
        let columns = Int(tile.columns)
        return read.map { $0.row * columns + $0.column } == cells
    }

    /// The next operation to send, or nil when the tile is done. Does not change state.
    public func nextOperation() -> JournalOperation? {
        if phase == .done { return nil }
        if inRangedVerify, let next = rangedReads.first { return operation(next) }
        if needsRecoveryRead { return phase == .readBack ? fullRead : verifyRead }
        switch phase {
        case .initialRead, .disturbCheck, .finalVerify, .settleRead, .restartRead, .relaxationRead:
            return verifyRead
        case .readBack:
            return fullRead
        case .settle:
            return .settle(tile: Int(tile.index), seconds: settings.settleSeconds)
        case .relaxationWait:
            return .settle(tile: Int(tile.index), seconds: relaxationWaitsShared ? 0 : settings.relaxationWait(pass: relaxationPassesDone))
        case .pulsing:
            var open = (0..<states.count).filter { states[$0] == .open }
            if open.count > settings.maxPulsesPerBatch {
                // Cells with the fewest pulses first, so every open cell gets its turn.
                open.sort { (pulses[$0], $0) < (pulses[$1], $1) }
                open = Array(open.prefix(settings.maxPulsesPerBatch)).sorted()
            }
            let columns = Int(tile.columns)
            func pulse(_ i: Int, _ verify: LedgerVerify? = nil) -> LedgerPulse {
                let p = algorithm.nextPulse(cell: i, measuredSiemens: measured[i], targetSiemens: targetSiemens[i])
                return LedgerPulse(row: i / columns, column: i % columns, amplitudeVolts: p.amplitudeVolts, widthSeconds: p.widthSeconds,
                                   verify: verify)
            }
            if let ranges = settings.verifyRanges, ranges.inBatch {
                // Band by band, so each band's cells form one verify group of the batch.
                let list = ranges.plan(cells: open, targetSiemens: targetSiemens, settings: settings, measuredSiemens: measured).flatMap { read in
                    read.cells.map { pulse($0, LedgerVerify(senseRange: read.range, averages: read.averages)) }
                }
                return .pulseBatch(tile: Int(tile.index), scheme: Int(settings.scheme.rawValue), verifyReadVolts: settings.readVolts,
                                   averages: settings.verifyAverages, pulses: list)
            }
            let list = open.map { pulse($0) }
            // In sense ranges the pulsed cells are read after the batch, band by band.
            return .pulseBatch(tile: Int(tile.index), scheme: Int(settings.scheme.rawValue),
                               verifyReadVolts: settings.verifyRanges == nil ? settings.readVolts : nil,
                               averages: settings.verifyAverages, pulses: list)
        case .done:
            return nil
        }
    }

    func error(_ i: Int) -> Double { abs(measured[i] - targetSiemens[i]) }
    func accepted(_ i: Int) -> Bool {
        let tight = touchUpsRelaxBeforeReadBack && inLastRelaxationPass && touchUpRounds < settings.touchUpTightRounds
        return error(i) <= (tight ? settings.touchUpAcceptFraction : settings.acceptFraction) * settings.toleranceSiemens
    }
    func withinTolerance(_ i: Int) -> Bool { error(i) <= settings.toleranceSiemens }
    /// Whether the last relaxation pass is under way: its full read, or its touch-ups after it.
    var inLastRelaxationPass: Bool {
        inRelaxationPasses && relaxationPassesDone + (phase == .relaxationRead ? 1 : 0) == settings.relaxationPasses
    }

    /// Learns from an operation's result: conductances in the operation's cell order, siemens.
    public func absorb(_ operation: JournalOperation, measuredSiemens logged: [Double], at date: Date) {
        let values = ownSiemens(operation, logged)
        roundTrips += 1
        let converted = operation.conversions
        conversions += converted
        if inRelaxationPasses && phase != .readBack { relaxationConversions += converted }
        switch operation {
        case .settle:
            if phase == .settle { phase = .settleRead }
            if phase == .relaxationWait {
                phase = .relaxationRead
                inRelaxationPasses = true
            }
        case .read(_, let cells, _, _, _, _, let range):
            let columns = Int(tile.columns)
            let indices = cells.map { $0.map { $0.row * columns + $0.column } } ?? Array(0..<tile.cellCount)
            if let ranges = settings.verifyRanges, phase != .readBack {
                absorbRanged(indices, logged: logged, own: values, range: range, averages: operation.averages, ranges: ranges, at: date)
                return
            }
            let whole = readsEveryProgrammedCell(cells)
            if phase == .readBack && whole {
                // Judged by nothing in the run: it only says where the cells are at its end.
                var back = [Double](repeating: .nan, count: tile.cellCount)
                for (k, i) in indices.enumerated() where k < values.count { back[i] = values[k] }
                readBackSiemens = back
                phase = .done
                return
            }
            for (k, i) in indices.enumerated() where k < values.count {
                measured[i] = values[k]
                verifiedAt[i] = date
            }
            guard whole else { return }
            afterFullRead()
        case .pulseBatch(_, _, let verifyVolts, _, let list):
            let columns = Int(tile.columns)
            if verifyVolts == nil, let ranges = settings.verifyRanges {
                startRangedVerify(of: list, ranges: ranges)
                return
            }
            if operation.isRangedVerify, let ranges = settings.verifyRanges {
                absorbRangedBatch(list, logged: logged, own: values, ranges: ranges, at: date)
                return
            }
            for (k, p) in list.enumerated() where k < values.count {
                let i = p.row * columns + p.column
                let before = measured[i]
                let maximal = algorithm.nextPulse(cell: i, measuredSiemens: before, targetSiemens: targetSiemens[i]).isMaximal
                pulses[i] += 1
                if inRelaxationPasses { relaxationPulses += 1 }
                judge(p, cell: i, beforeSiemens: before, afterSiemens: values[k], isMaximal: maximal, at: date)
            }
            afterBatch()
        }
    }

    /// Learns from one pulse's verify read: the algorithm sees the cell's move, and the cell is
    /// accepted, found stuck or out of pulses, or left open.
    func judge(_ p: LedgerPulse, cell i: Int, beforeSiemens before: Double, afterSiemens after: Double, isMaximal: Bool, at date: Date) {
        let choice = PulseChoice(amplitudeVolts: p.amplitudeVolts, widthSeconds: p.widthSeconds, isMaximal: isMaximal)
        let noise = readNoise(cell: i, at: max(before, after))
        algorithm.observe(cell: i, pulse: choice, beforeSiemens: before, afterSiemens: after, readNoiseSiemens: noise)
        measured[i] = after
        verifiedAt[i] = date
        let toward = (after - before) * (p.amplitudeVolts > 0 ? 1 : -1)
        if choice.isMaximal && toward < settings.responseFloor(beforeSiemens: before, afterSiemens: after, readNoiseSiemens: noise) {
            silentMaximalPulses[i] += 1
        } else {
            silentMaximalPulses[i] = 0
        }
        if accepted(i) {
            states[i] = .converged
        } else if silentMaximalPulses[i] >= settings.stuckAfter {
            states[i] = .stuck
        } else if budgetUsed(i) {
            states[i] = .outOfPulses
        }
    }

    /// One verify read's noise for cell `i` at `g`, siemens, as its latest verify read was taken.
    func readNoise(cell i: Int, at g: Double) -> Double {
        settings.readNoise(at: g, averages: readAverages[i], converterSiemens: readConverterSiemens[i])
    }

    /// After a batch's cells are judged: the next batch, a disturb check, or the end of pulsing.
    func afterBatch() {
        batches += 1
        if inRelaxationPasses { touchUpRounds += 1 }
        if settings.scheme != .grounded && batches % settings.disturbCheckInterval == 0 {
            phase = .disturbCheck
        } else if !states.contains(.open) {
            phase = phaseAfterPulsing
        }
    }

    /// The cells' own conductances from what a read or a batch's verify reads logged (their
    /// currents over the read voltage): as logged, or with the column's sneak current taken off
    /// (``ProgrammingSettings/sneakCorrection``), against the latest conductances of the cells
    /// not read (``XbarDevice/SneakPathCorrection/cellsSiemens(apparent:cells:rest:)``).
    func ownSiemens(_ operation: JournalOperation, _ values: [Double]) -> [Double] {
        guard let c = settings.sneakCorrection, c.rows == Int(tile.rows), c.columns == Int(tile.columns) else { return values }
        if case .settle = operation { return values }
        let columns = Int(tile.columns)
        let cells = operation.cells.map { $0.row * columns + $0.column }
        guard cells.count == values.count, Set(cells).count == cells.count else { return values }
        // A cell this job does not program is believed at its target (it was left alone for being near it).
        let rest = measured.indices.map { measured[$0].isFinite ? measured[$0] : (states[$0] == .held ? targetSiemens[$0] : 0) }
        return c.cellsSiemens(apparent: values, cells: cells, rest: rest)
    }

    func budgetUsed(_ i: Int) -> Bool { pulses[i] - budgetStart[i] >= settings.maxPulses }

    /// The board restarted since the records absorbed so far were made: nothing they claim is
    /// trusted until the whole tile is read back. That read keeps every cell it confirms; a cell
    /// the records call converged that is now outside the tolerance lost its state with the
    /// board and is programmed again with a fresh pulse budget (``cellsLostToRestart``). A tile
    /// with no records yet is left as it is.
    public func distrustAfterRestart() {
        guard roundTrips > 0 else { return }
        needsRecoveryRead = false
        // A ranged verify under way read cells of the lost state: the restart read replaces it.
        endRangedVerify()
        phase = .restartRead
    }

    /// Accounts for an operation logged as intent whose result never came (the process died):
    /// it may or may not have happened. Its pulses count as used; it is never sent again; the
    /// tile is read before the next pulse, and programming continues from what that read shows.
    public func absorbInDoubt(_ operation: JournalOperation) {
        guard case .pulseBatch(_, _, _, _, let list) = operation else { return }
        let columns = Int(tile.columns)
        for p in list { pulses[p.row * columns + p.column] += 1 }
        needsRecoveryRead = true
    }

    func afterFullRead() {
        needsRecoveryRead = false
        // The reads after the settle wait and the relaxation waits are the last look at most
        // cells: there, anything outside the accept band is touched up, so relaxation after it
        // has the whole margin to use.
        let lastLook = phase == .settleRead || phase == .relaxationRead
        if phase == .relaxationRead { touchUpRounds = 0 }
        if phase == .restartRead {
            for i in states.indices where states[i] == .converged && !withinTolerance(i) {
                states[i] = .open
                budgetStart[i] = pulses[i]
                silentMaximalPulses[i] = 0
                cellsLostToRestart += 1
            }
        }
        for i in states.indices {
            switch states[i] {
            case .open:
                if accepted(i) { states[i] = .converged }
                else if budgetUsed(i) { states[i] = .outOfPulses }
            case .converged:
                if lastLook ? !accepted(i) : !withinTolerance(i) {
                    states[i] = budgetUsed(i) ? .outOfPulses : .open
                }
            case .outOfPulses:
                if withinTolerance(i) { states[i] = .converged }
            case .stuck, .held:
                break
            }
        }
        let anyOpen = states.contains(.open)
        switch phase {
        case .initialRead, .disturbCheck, .pulsing:
            phase = anyOpen ? .pulsing : phaseAfterPulsing
        case .finalVerify:
            finalVerifies += 1
            phase = anyOpen ? .pulsing : (settings.settleSeconds > 0 && !settled ? .settle : phaseAfterSettling)
        case .settleRead:
            settled = true
            phase = anyOpen ? .pulsing : phaseAfterSettling
        case .relaxationRead:
            relaxationPassesDone += 1
            phase = anyOpen ? .pulsing : phaseAfterSettling
        case .restartRead:
            // The verify rounds, the settle wait and the relaxation passes ran on the lost
            // state: they run again.
            finalVerifies = 0
            settled = false
            relaxationPassesDone = 0
            phase = anyOpen ? .pulsing : phaseAfterPulsing
        case .settle, .relaxationWait, .readBack, .done:
            break
        }
    }

    /// After the verify rounds and the settle wait: the next relaxation pass, else the
    /// read-back, else the end.
    var phaseAfterSettling: Phase {
        if relaxationPassesDone < settings.relaxationPasses { return .relaxationWait }
        return settings.readBack ? .readBack : .done
    }

    /// Where to go when no cell is open: another full-tile verify, unless the verify rounds are
    /// used up (cells keep relaxing while the tile is read, so re-verifying can go on forever:
    /// the touch-ups of the last round end the run, each cell's last verify read its record),
    /// or the settle wait, or the end.
    var phaseAfterPulsing: Phase {
        if settled || relaxationPassesDone > 0 { return phaseAfterSettling }
        if finalVerifies < settings.verifyRounds { return .finalVerify }
        return settings.settleSeconds > 0 ? .settle : phaseAfterSettling
    }

    /// Per-cell results so far (final once ``isDone``).
    public var report: TileReport {
        TileReport(tile: Int(tile.index), rows: Int(tile.rows), columns: Int(tile.columns), targetSiemens: targetSiemens,
                   verifiedSiemens: measured,
                   outcomes: states.map { s in
                       switch s {
                       case .converged: return .converged
                       case .stuck: return .stuck
                       case .outOfPulses, .open: return .outOfPulses
                       // Not programmed by this job: its cell is as the job found it, unread.
                       case .held: return .converged
                       }
                   },
                   pulses: pulses, roundTrips: roundTrips, conversions: conversions,
                   relaxationPulses: relaxationPulses, relaxationConversions: relaxationConversions,
                   readBackSiemens: readBackSiemens, toleranceSiemens: settings.toleranceSiemens, programmedCells: cells)
    }

    /// The tile's shadow map: last verified conductances and when they were verified.
    public var shadowTile: ShadowMap.Tile {
        ShadowMap.Tile(index: Int(tile.index), rows: Int(tile.rows), columns: Int(tile.columns),
                       siemens: measured, verifiedAt: verifiedAt)
    }
}
