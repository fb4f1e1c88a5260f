/// A device model drawn at random around another one: the truth of a simulated "chip" that a
/// calibration, a twin or a job must cope with without being told it (tests and benchmarks run
/// against such draws, not against the instrument's own defaults).
extension DeviceParameters {
    /// The model with every population mean moved by up to 8-20 % and every spread by up to
    /// 25 % (uniformly, seeded by `seed`), and read noise, cycle-to-cycle noise, overdrive
    /// scale and width exponent by up to 10-20 %.
    public func hiddenDraw(seed: UInt64) -> DeviceParameters {
        var state = seed
        func u() -> Double {  // uniform in [-1, 1)
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
        func mean(_ p: DistributedParameter, _ by: Double = 0.15) -> DistributedParameter {
            DistributedParameter(p.mean * (1 + by * u()), spread: p.spread * (1 + 0.25 * u()))
        }
        let d = self
        var t = d
        t.nonVolatile.gMinSiemens = mean(d.nonVolatile.gMinSiemens)
        t.nonVolatile.gMaxSiemens = mean(d.nonVolatile.gMaxSiemens, 0.1)
        t.nonVolatile.setThresholdVolts = mean(d.nonVolatile.setThresholdVolts, 0.08)
        t.nonVolatile.resetThresholdVolts = mean(d.nonVolatile.resetThresholdVolts, 0.08)
        t.nonVolatile.setStepFraction = mean(d.nonVolatile.setStepFraction)
        t.nonVolatile.resetStepFraction = mean(d.nonVolatile.resetStepFraction)
        t.nonVolatile.overdriveScaleVolts *= 1 + 0.1 * u()
        t.nonVolatile.widthExponent *= 1 + 0.1 * u()
        t.nonVolatile.readNoiseSpread *= 1 + 0.2 * u()
        t.nonVolatile.cycleToCycleSpread *= 1 + 0.2 * u()
        t.shortTermMemory.baseSiemens = mean(d.shortTermMemory.baseSiemens)
        t.shortTermMemory.ceilingSiemens = mean(d.shortTermMemory.ceilingSiemens)
        t.shortTermMemory.tauSeconds = mean(d.shortTermMemory.tauSeconds, 0.2)
        t.shortTermMemory.slowTauSeconds = mean(d.shortTermMemory.slowTauSeconds, 0.2)
        t.shortTermMemory.incrementFraction = mean(d.shortTermMemory.incrementFraction)
        t.shortTermMemory.thresholdVolts = mean(d.shortTermMemory.thresholdVolts, 0.08)
        t.shortTermMemory.readNoiseSpread *= 1 + 0.2 * u()
        return t
    }
}
