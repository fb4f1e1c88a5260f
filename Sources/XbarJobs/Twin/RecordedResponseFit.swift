import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarStore

/// Fits the switching law each cell of a chip showed during one programming run, from the
/// run's ledger: every pulse with the verified conductance before and after it.
///
/// The ledger is replayed into the adaptive algorithm's learning (``AdaptivePulse``), which
/// holds per cell and direction the gain of the observed steps over those of the device model
/// at the population's thresholds and bounds; a cell's fitted step fraction is the model's
/// times that gain. It is the same estimate write-verify acts on while programming, whatever
/// algorithm the run used, so a cell the run found slow is slow in the twin. A direction counts
/// as seen only if some pulse moved the cell's verify reads towards its target by what
/// write-verify counts as a response (``ProgrammingSettings/responseFloor(beforeSiemens:afterSiemens:)``):
/// a stuck cell pulsed a few times without being found stuck (a touch-up of a cell just outside
/// a narrow accept band) shows only read noise, which fitted as a response would make it a live
/// cell far slower than any other, one that takes a new map's whole pulse budget.
public enum RecordedResponseFit {
    /// Per tile index, each cell's response (row-major; nil for a cell never seen to respond).
    ///
    /// - Parameters:
    ///   - device: the device model the twin is built with; the fit is relative to its
    ///     population thresholds, bounds and step fractions.
    ///   - periphery: the array periphery of the calibration, for the sneak correction of a
    ///     passive array's verify reads (as the run's job applied it).
    /// - Throws: store errors.
    public static func responses(store: RunStore, run: Int64, tiles: [Int: (rows: Int, columns: Int, siemens: [Double])],
                                 instrument: Instrument, device: NonVolatileCellParameters,
                                 periphery: ArrayPeripheryParameters?) throws -> [Int: [RecordedResponse?]] {
        let journal = try store.journal(run: run).filter { $0.state == .done }
        var targets: [Int: [Double]] = tiles.mapValues(\.siemens)
        for o in try store.outcomes(run: run) {
            guard let t = tiles[o.tile], o.row < t.rows, o.column < t.columns else { continue }
            targets[o.tile]?[o.row * t.columns + o.column] = o.targetSiemens
        }
        var out: [Int: [RecordedResponse?]] = [:]
        for (index, tile) in tiles {
            guard let info = instrument.tile(UInt8(index)), Int(info.rows) == tile.rows, Int(info.columns) == tile.columns,
                  let target = targets[index] else { continue }
            let entries = journal.filter { $0.operation.tile == index }
            guard !entries.isEmpty else { continue }
            var settings = ProgrammingSettings.standard(for: instrument, device: device, periphery: periphery)
            // The noise the run's verify reads had decides what counts as a response.
            for entry in entries {
                if case .pulseBatch(_, _, _, let averages, _) = entry.operation { settings.verifyAverages = averages; break }
            }
            let learning = AdaptivePulse(cellCount: info.cellCount, device: device, envelope: PulseEnvelope(limits: instrument.limits))
            let programmer = WriteVerifyProgrammer(tile: info, targetSiemens: target, algorithm: learning, settings: settings)
            // Each cell's mean amplitude per direction: where its gain was measured.
            var volts = [[Double]](repeating: [0, 0], count: info.cellCount), counts = volts
            var responded = [[Bool]](repeating: [false, false], count: info.cellCount)
            for entry in entries {
                let before = programmer.measured
                programmer.absorb(entry.operation, measuredSiemens: entry.measuredSiemens, at: entry.resultAt ?? entry.intentAt)
                if case .pulseBatch(_, _, _, _, let list) = entry.operation {
                    for p in list {
                        let i = p.row * Int(info.columns) + p.column, k = p.amplitudeVolts > 0 ? 0 : 1
                        volts[i][k] += abs(p.amplitudeVolts)
                        counts[i][k] += 1
                        let after = programmer.measured[i]
                        if (after - before[i]) * (k == 0 ? 1 : -1) >= settings.responseFloor(beforeSiemens: before[i], afterSiemens: after) {
                            responded[i][k] = true
                        }
                    }
                }
            }
            out[index] = (0..<info.cellCount).map { i in
                let shown = learning.shownGains(cell: i)
                let gains = (set: responded[i][0] ? shown.set : nil, reset: responded[i][1] ? shown.reset : nil)
                guard gains.set != nil || gains.reset != nil else { return nil }
                let set = gains.set.map { split($0, atVolts: volts[i][0] / max(counts[i][0], 1), threshold: device.setThresholdVolts,
                                                fraction: device.setStepFraction, device: device) }
                let reset = gains.reset.map { split($0, atVolts: volts[i][1] / max(counts[i][1], 1), threshold: device.resetThresholdVolts,
                                                  fraction: device.resetStepFraction, device: device) }
                return RecordedResponse(setStepFraction: set?.fraction, resetStepFraction: reset?.fraction,
                                        setThresholdVolts: set?.threshold ?? device.setThresholdVolts.mean,
                                        resetThresholdVolts: reset?.threshold ?? device.resetThresholdVolts.mean,
                                        gMinSiemens: device.gMinSiemens.mean, gMaxSiemens: device.gMaxSiemens.mean)
            }
        }
        return out
    }

    /// A gain `g` of a cell's steps over the model's, measured at `volts`, split between the
    /// cell's step fraction and its threshold as the population says they vary: the log gain
    /// is shared in proportion to the variance each contributes there (the threshold's through
    /// the slope of the law in volts, the step fraction's directly), which is the most likely
    /// split for two independent lognormal parameters.
    static func split(_ g: Double, atVolts v: Double, threshold: DistributedParameter, fraction: DistributedParameter,
                      device: NonVolatileCellParameters) -> (fraction: Double, threshold: Double) {
        let vo = device.overdriveScaleVolts
        let x = (v - threshold.mean) / vo
        guard x > 0 else { return (fraction.mean * g, threshold.mean) }
        // d ln s / dV of s = (e^x - 1) / (e - 1), times the threshold's spread in volts.
        let thresholdLogSpread = exp(x) / (exp(x) - 1) / vo * threshold.spread * threshold.mean
        let share = pow(thresholdLogSpread, 2) / (pow(thresholdLogSpread, 2) + pow(fraction.spread, 2))
        let s = (exp(x) - 1) / (M_E - 1) * pow(g, share)
        return (fraction.mean * pow(g, 1 - share), v - vo * log(1 + s * (M_E - 1)))
    }
}

extension AdaptivePulse {
    /// The gain of cell `i`'s steps over the model's in each direction; nil for a direction it
    /// was not seen to respond in.
    func shownGains(cell i: Int) -> (set: Double?, reset: Double?) {
        (observationsSet[i] > 0 ? exp(logGainSet[i]) : nil, observationsReset[i] > 0 ? exp(logGainReset[i]) : nil)
    }
}
