import XbarDevice

extension InstrumentFileSchema {
    /// The optional `device.non_volatile_wear` section: endurance and sub-threshold disturb of
    /// the non-volatile cells (see ``NonVolatileWearParameters``). Every key is required once
    /// the section is there.
    func readWear(_ s: InstrumentFileSection) -> NonVolatileWearParameters? {
        defer { s.finish() }
        let median = s.number("endurance_median_cycles", NumberRule { $0 >= 1 && $0 <= 1e15 ? nil : "must be between 1 and 1e15 cycles, got \($0)" })
        let spread = s.number("endurance_log_spread", NumberRule { (0...5).contains($0) ? nil : "must be between 0 and 5 (natural-log sigma), got \($0)" })
        let loss = s.number("window_loss_at_failure", NumberRule { $0 >= 0 && $0 < 1 ? nil : "must be 0 or more and below 1 (a fraction of the window), got \($0)" })
        let exponent = s.number("window_loss_exponent", .positive)
        let high = s.number("failure_stuck_high_fraction", .unitInterval)
        let disturb = s.number("disturb_step_fraction", .unitInterval)
        let scale = s.number("disturb_scale_volts", .positive)
        guard let median, let spread, let loss, let exponent, let high, let disturb, let scale else { return nil }
        return NonVolatileWearParameters(enduranceMedianCycles: median, enduranceLogSpread: spread, windowLossAtFailure: loss,
                                         windowLossExponent: exponent, failureStuckHighFraction: high,
                                         disturbStepFraction: disturb, disturbScaleVolts: scale)
    }
}

extension Instrument {
    /// Realism warnings of the wear section (see ``realismWarnings``): none without one.
    var wearRealismWarnings: [InstrumentProblem] {
        guard let w = device.nonVolatile.wear else { return [] }
        var warnings: [InstrumentProblem] = []
        func check(_ key: String, _ value: Double, _ range: ClosedRange<Double>, _ what: String) {
            guard !range.contains(value) else { return }
            warnings.append(InstrumentProblem(keyPath: "device.non_volatile_wear." + key,
                                              message: "\(what) \(value) is outside the realistic range \(range.lowerBound)–\(range.upperBound)"))
        }
        check("endurance_median_cycles", w.enduranceMedianCycles, 1e5...1e9, "median cycles to failure")
        check("endurance_log_spread", w.enduranceLogSpread, 0.2...1.5, "cell-to-cell spread of ln(cycles to failure)")
        check("window_loss_at_failure", w.windowLossAtFailure, 0.1...0.7, "on/off window lost before failure (fraction)")
        check("failure_stuck_high_fraction", w.failureStuckHighFraction, 0.2...0.9, "fraction of failures stuck in the low-resistance state")
        if w.disturbStepFraction > 0 {
            check("disturb_step_fraction", w.disturbStepFraction, 1e-5...1e-3, "disturb of a pulse at threshold (fraction of the distance to the bound)")
            check("disturb_scale_volts", w.disturbScaleVolts, 0.03...0.2, "volts below threshold per e-fold of disturb")
        }
        return warnings
    }
}
