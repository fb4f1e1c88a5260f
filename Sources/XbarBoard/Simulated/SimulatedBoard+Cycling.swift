import XbarDevice
import XbarWire

extension SimulatedBoard {
    /// The number of identical SET/RESET pairs on one cell starting at pulse `start` of a
    /// batch: a SET, then a RESET on the same cell, repeated with the same amplitudes and widths.
    static func cycleRun(_ pulses: [CellPulse], from start: Int) -> Int {
        guard start + 1 < pulses.count else { return 0 }
        let set = pulses[start], reset = pulses[start + 1]
        guard set.cell == reset.cell, set.amplitudeVolts > 0, reset.amplitudeVolts < 0 else { return 0 }
        var n = 1
        var j = start + 2
        while j + 1 < pulses.count && pulses[j] == set && pulses[j + 1] == reset {
            n += 1
            j += 2
        }
        return n
    }

    /// Applies a batch's pulses from `start` on, taking each long run of identical SET/RESET
    /// cycles on one cell at once (wear counted, not simulated pulse by pulse) where no other
    /// cell sees the pulses; returns the compliance hits.
    ///
    /// Board time advances by every pulse's width and gap either way, so timestamps and
    /// relaxation do not depend on which path a pulse took.
    func applyBatchPulses(_ tile: SimulatedTile, _ pulses: [CellPulse], scheme: BiasScheme) -> Int {
        let gap = timing.pulseGapSeconds.wholeNanoseconds
        var hits = 0
        var j = 0
        while j < pulses.count {
            if case .nonVolatile(_, let t) = tile, t.isolatesUnselectedCells || scheme == .grounded {
                let run = Self.cycleRun(pulses, from: j)
                if run > NonVolatileTile.exactLeadingCycles + 1 {
                    let set = pulses[j], reset = pulses[j + 1]
                    let setWidth = Double(set.widthSeconds), resetWidth = Double(reset.widthSeconds)
                    hits += t.cycle(row: Int(set.cell.row), column: Int(set.cell.column),
                                    set: CyclePulse(volts: Double(set.amplitudeVolts), seconds: setWidth),
                                    reset: CyclePulse(volts: Double(reset.amplitudeVolts), seconds: resetWidth),
                                    count: run, at: clock.seconds, pulseGapSeconds: Double(gap) * 1e-9,
                                    complianceAmperes: Double(instrument.limits.complianceAmperes), generator: &pulseNoise)
                    clock.advance(by: UInt64(run) * (setWidth.wholeNanoseconds + gap + resetWidth.wholeNanoseconds + gap))
                    j += 2 * run
                    continue
                }
            }
            let p = pulses[j]
            let w = Double(p.widthSeconds)
            clock.advance(by: w.wholeNanoseconds)
            hits += applyPulse(tile, p.cell, volts: Double(p.amplitudeVolts), width: w, scheme: scheme)
            clock.advance(by: gap)
            j += 1
        }
        return hits
    }
}
