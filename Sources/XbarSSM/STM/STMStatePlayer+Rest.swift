import Foundation
import XbarBoard
import XbarDevice
import XbarJobs
import XbarWire

extension STMStatePlayer {
    /// The noise of a rest measurement of node `n`, siemens: the standard deviation of the mean
    /// of ``restReads`` reads at its base (the read's relative noise, its sense range's input
    /// noise and its converter step), times ``restNoiseMultiple``. A node whose mean excess over
    /// its calibrated base is within this is at rest.
    public func restAllowanceSiemens(ofNode n: Int) -> Double {
        let draw = nodes.draws[n]
        let relative = nodes.rowLaws[n / Int(nodes.tile.columns)].readNoiseSpread * draw.baseSiemens
        let step = readStepSiemens(ofNode: n)
        let input = senseRangeIndex(ofNode: n).map { Double(instrument.senseRanges[Int($0)].noiseAmperes) / readVolts } ?? 0
        let single = (relative * relative + input * input + step * step / 12).squareRoot()
        return restNoiseMultiple * single / Double(max(restReads, 1)).squareRoot()
    }

    /// Seconds after `end` until a predicted node's volatile part is under half its rest
    /// allowance, so that the measurement after the wait finds it at rest unless the prediction
    /// was wrong.
    func restSeconds(_ cell: ShortTermMemoryCell, ofNode n: Int, after end: Double) -> Double {
        let target = restAllowanceSiemens(ofNode: n) / 2
        var wait = 0.0, step = 1e-3
        while cell.volatileConductance(at: end + wait) > target && wait < longestRestSeconds {
            wait += step
            step *= 1.5
        }
        return wait
    }

    /// Brings nodes back to rest before a program uses them, measured: a board-timed wait until
    /// their last program's predicted residual is under half their rest allowance, then
    /// ``restReads`` reads of every node. A node is at rest when its mean is within its
    /// allowance (``restAllowanceSiemens(ofNode:)``) of its rest level (its calibrated base at
    /// first), or when it fell by no more than the noise of a difference of two measurements
    /// (`sqrt(2)` allowances) over at least 0.69 of its slow time constant, in which a slow
    /// component would have halved: its base reads above the calibration's, and the level it
    /// held becomes its rest level for later rests. Otherwise the wait goes on for as long as the slow component, at its calibrated
    /// time constant, takes from the measured excess to half the allowance, and the nodes are
    /// measured again. Nodes no program has used are measured too: another job may have left
    /// them raised.
    ///
    /// - Throws: ``STMStateError/notAtRest`` when nodes are still raised after
    ///   ``longestRestSeconds`` of waiting; ``BoardError`` from the reads or the waits.
    func rest(_ nodeList: [Int]) throws {
        let order = Array(Set(nodeList)).sorted()
        guard !order.isEmpty else { return }
        let allowance = order.map(restAllowanceSiemens(ofNode:))
        let due = order.compactMap { restUntilNanoseconds[$0] }.max() ?? 0
        var waited = 0.0
        if due > 0 {
            let now = try board.status().boardTimeNanoseconds
            statistics.requests += 1
            if due > now {
                waited = Double(due - now) * 1e-9
                try waitOnBoard(seconds: waited)
            }
        }
        var previous: [Double]?
        var sincePrevious = 0.0
        var extended = false
        while true {
            var excess = try measureExcessOverBase(order)
            var restless: [Int] = []
            var longest = 0.0
            for k in order.indices where excess[k] > allowance[k] {
                let slowTau = nodes.draws[order[k]].slowTauSeconds
                // Held still within the noise of a difference of two measurements over a time in
                // which a slow component would have halved: this is the node's rest.
                if let before = previous, sincePrevious >= 0.69 * slowTau, abs(before[k] - excess[k]) <= 2.squareRoot() * allowance[k] {
                    restOffsetSiemens[order[k]] = (restOffsetSiemens[order[k]] ?? 0) + excess[k]
                    statistics.restLevelsMeasured += 1
                    excess[k] = 0
                    continue
                }
                restless.append(k)
                longest = max(longest, slowTau * log(excess[k] / (allowance[k] / 2)))
            }
            if restless.isEmpty {
                for k in order.indices {
                    statistics.largestRestResidualSiemens = max(statistics.largestRestResidualSiemens, excess[k])
                    statistics.largestRestNoiseSiemens = max(statistics.largestRestNoiseSiemens, allowance[k])
                }
                break
            }
            guard waited + longest <= longestRestSeconds else {
                let k = restless[0]
                throw STMStateError.notAtRest(String(format: "node %d reads %.3g S above its calibrated base after %.1f s of rest (allowance %.3g S)",
                                                     order[k], excess[k], waited, allowance[k]))
            }
            try waitOnBoard(seconds: longest)
            waited += longest
            statistics.restExtensionSeconds += longest
            if !extended { statistics.restExtensions += 1 }
            extended = true
            previous = excess
            sincePrevious = longest
        }
        for n in order { restUntilNanoseconds[n] = nil }
    }

    /// Mean of ``restReads`` reads of every node, each in its own sense range, less its rest
    /// level (its calibrated base, plus the offset a rest measurement found), siemens: one
    /// timed program of reads.
    private func measureExcessOverBase(_ order: [Int]) throws -> [Double] {
        var actions: [PlayAction] = []
        for _ in 0..<restReads {
            for n in order { actions.append(read(ofNode: n, atNanoseconds: 0)) }
        }
        let outcome = try play(actions).outcome
        statistics.restMeasurements += 1
        statistics.energy.addReads(outcome.results.count)
        let mean = meanSiemens(outcome.results, rounds: restReads, nodes: order.count)
        return order.indices.map { mean[$0] - nodes.draws[order[$0]].baseSiemens - (restOffsetSiemens[order[$0]] ?? 0) }
    }

    /// Waits on the board's clock (read trains on a weight cell, which a read does not change).
    private func waitOnBoard(seconds: Double) throws {
        guard seconds > 0, let weightTile = instrument.weightTiles.first else { return }
        _ = try board.settle(seconds: seconds, referenceCell: .cell(tile: weightTile.index, CellIndex(row: 0, column: 0)),
                             readVolts: instrument.defaultReadVolts)
        statistics.requests += 1
        statistics.restBoardSeconds += seconds
    }
}
