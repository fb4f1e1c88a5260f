/// One pulse of a SET/RESET cycle: volts (positive SETs, negative RESETs) and seconds.
public struct CyclePulse: Hashable, Sendable {
    public var volts: Double
    public var seconds: Double

    public init(volts: Double, seconds: Double) {
        self.volts = volts
        self.seconds = seconds
    }
}

extension NonVolatileTile {
    /// Cycles simulated pulse by pulse at the start of a run of identical cycles: enough for
    /// the soft-bounded steps of even weak pulses to reach the run's steady swing.
    public static let exactLeadingCycles = 32

    /// Applies `count` identical cycles (`set`, then `reset`, each followed by `pulseGapSeconds`)
    /// to one cell, the first starting at `start` (seconds), and returns how many pulses
    /// compliance limited.
    ///
    /// The first ``exactLeadingCycles`` and the last cycle are simulated pulse by pulse; the
    /// ones between only count towards the cell's wear (its window is a closed form of the
    /// count), so a million cycles cost what thirty-three do. The caller makes sure no other
    /// cell sees these pulses (an isolating tile or a grounded bias scheme): disturbed
    /// neighbours would need every pulse.
    public func cycle(row: Int, column: Int, set: CyclePulse, reset: CyclePulse, count: Int, at start: Double,
                      pulseGapSeconds gap: Double, complianceAmperes: Double,
                      generator: inout Xoshiro256StarStar) -> Int {
        let i = row * columns + column
        let period = set.seconds + gap + reset.seconds + gap
        var hits = 0
        func exact(_ c: Int) {
            let t0 = start + Double(c) * period
            if step(i, set.volts, set.seconds, t0 + set.seconds, complianceAmperes, &generator) { hits += 1 }
            if step(i, reset.volts, reset.seconds, t0 + set.seconds + gap + reset.seconds, complianceAmperes, &generator) { hits += 1 }
        }
        let leading = min(count, Self.exactLeadingCycles)
        for c in 0..<leading { exact(c) }
        guard count > leading else { return hits }
        let skipped = count - leading - 1
        if skipped > 0, let wear, draws[i].stuck == .none {
            let before = wear.cycles[i]
            if wear.skip(i, cycles: Double(skipped)) {
                // It failed in the middle of the run; the pulses after that found it stuck.
                let failedAt = Double(leading) + (wear.failureCycles[i] - before).rounded(.up)
                fail(i, at: start + min(failedAt, Double(count - 1)) * period)
                return hits
            }
        }
        exact(count - 1)
        return hits
    }
}
