import Foundation
import XbarStore

/// Verify reads in sense ranges (``ProgrammingSettings/verifyRanges``): a batch's pulses go out
/// without a verify read, then its cells are read band by band; a full read is read the same way.
/// Every read is a logged operation like the others, and the reads still to come follow from the
/// operations absorbed, so a replayed ledger rebuilds them: a resumed run sends the next read,
/// never a pulse again.
extension WriteVerifyProgrammer {
    /// The cells a full read covers: the job's cells, or every cell of the tile.
    var programmedCells: [Int] { cells ?? Array(0..<tile.cellCount) }

    /// The read that starts a full verify: the whole of it without sense ranges, else its
    /// first band.
    var verifyRead: JournalOperation {
        guard let ranges = settings.verifyRanges, let first = fullReadPlan(ranges).first else { return fullRead }
        return operation(first)
    }

    /// The banded reads of a full verify read.
    func fullReadPlan(_ ranges: VerifyRanges) -> [VerifyRanges.Read] {
        ranges.plan(cells: programmedCells, targetSiemens: targetSiemens, settings: settings, bands: ranges.fullReadBands)
    }

    /// The READ of a planned ranged verify read.
    func operation(_ read: VerifyRanges.Read) -> JournalOperation {
        let columns = Int(tile.columns)
        return .read(tile: Int(tile.index), cells: read.cells.map { CellAddress(row: $0 / columns, column: $0 % columns) },
                     rows: Int(tile.rows), columns: columns, readVolts: settings.readVolts, averages: read.averages,
                     senseRange: read.range)
    }

    /// A batch without verify read was applied: its pulses count, and its cells are read next.
    func startRangedVerify(of list: [LedgerPulse], ranges: VerifyRanges) {
        countRangedBatch(list)
        let columns = Int(tile.columns)
        rangedReads = ranges.plan(cells: list.map { $0.row * columns + $0.column }, targetSiemens: targetSiemens, settings: settings)
        inRangedVerify = !rangedReads.isEmpty
        if !inRangedVerify { afterBatch() }
    }

    /// A batch verified in its own round trip, each run of pulses in its range: its pulses
    /// count, its verify currents are learnt run by run, and only the cells a verify found
    /// saturated are read again (in the next larger range) before the batch is judged.
    func absorbRangedBatch(_ list: [LedgerPulse], logged: [Double], own: [Double], ranges: VerifyRanges, at date: Date) {
        countRangedBatch(list)
        rangedReads = []
        inRangedVerify = true
        let columns = Int(tile.columns)
        var start = 0
        while start < list.count {
            let how = list[start].verify
            var end = start + 1
            while end < list.count, list[end].verify == how { end += 1 }
            learnRanged(list[start..<end].map { $0.row * columns + $0.column }, logged: Array(logged[min(start, logged.count)..<min(end, logged.count)]),
                        own: Array(own[min(start, own.count)..<min(end, own.count)]), range: how?.senseRange,
                        averages: how?.averages ?? settings.verifyAverages, ranges: ranges, at: date)
            start = end
        }
        finishRangedVerifyIfComplete()
    }

    /// Counts a batch's pulses and keeps what its judgement needs: each pulse, the conductance
    /// its cell read before it, and whether it was the cell's maximal pulse.
    private func countRangedBatch(_ list: [LedgerPulse]) {
        let columns = Int(tile.columns)
        var batch: [(pulse: LedgerPulse, beforeSiemens: Double, isMaximal: Bool)] = []
        for p in list {
            let i = p.row * columns + p.column
            let maximal = algorithm.nextPulse(cell: i, measuredSiemens: measured[i], targetSiemens: targetSiemens[i]).isMaximal
            batch.append((p, measured[i], maximal))
            pulses[i] += 1
            if inRelaxationPasses { relaxationPulses += 1 }
        }
        rangedBatch = batch
    }

    /// Learns from one ranged read (`logged`: as the ledger holds it, saturated cells `+infinity`;
    /// `own`: the cells' own conductances). A saturated cell is read again in the next larger
    /// range; when the last read of the verify is in, the batch is judged, or the full read ends.
    func absorbRanged(_ indices: [Int], logged: [Double], own: [Double], range: Int?, averages: Int,
                      ranges: VerifyRanges, at date: Date) {
        if !inRangedVerify {
            // The first band of a full verify read (``verifyRead``).
            rangedReads = fullReadPlan(ranges)
            rangedBatch = nil
            inRangedVerify = true
        }
        if !rangedReads.isEmpty { rangedReads.removeFirst() }
        learnRanged(indices, logged: logged, own: own, range: range, averages: averages, ranges: ranges, at: date)
        finishRangedVerifyIfComplete()
    }

    /// Takes the cells of one ranged conversion as read; queues the saturated ones for a read in
    /// the next larger range.
    private func learnRanged(_ indices: [Int], logged: [Double], own: [Double], range: Int?, averages: Int,
                             ranges: VerifyRanges, at date: Date) {
        let converter = ranges.converterSiemens(range: range, readVolts: settings.readVolts)
        var saturated: [Int] = []
        for (k, i) in indices.enumerated() where k < logged.count {
            if logged[k] == .infinity {
                saturated.append(i)
                continue
            }
            measured[i] = own[k]
            verifiedAt[i] = date
            readAverages[i] = averages
            readConverterSiemens[i] = converter
        }
        if !saturated.isEmpty {
            if let again = ranges.reread(saturated, after: VerifyRanges.Read(cells: indices, range: range, averages: averages)) {
                rangedReads.append(again)
            } else {
                // Beyond the largest range: the cell conducts at least its full scale, which is
                // what it is taken to read (far above any target, so it stays open).
                for i in saturated {
                    measured[i] = ranges.fullScaleAmperes(range) / settings.readVolts
                    verifiedAt[i] = date
                }
            }
        }
    }

    /// When no read of the verify under way is left: the batch is judged, or the full read ends.
    private func finishRangedVerifyIfComplete() {
        guard rangedReads.isEmpty else { return }
        let batch = rangedBatch
        endRangedVerify()
        guard let batch else {
            afterFullRead()
            return
        }
        let columns = Int(tile.columns)
        for (p, before, maximal) in batch {
            let i = p.row * columns + p.column
            let after = measured[i]
            // The cell's reading before the verify is put back for the judgement to compare with.
            measured[i] = before
            judge(p, cell: i, beforeSiemens: before, afterSiemens: after, isMaximal: maximal, at: verifiedAt[i])
        }
        afterBatch()
    }

    /// Drops a ranged verify under way.
    func endRangedVerify() {
        rangedReads = []
        rangedBatch = nil
        inRangedVerify = false
    }
}
