import XbarDevice

extension DeviceParameters {
    /// The values of this device model that no crossbar cell can have, by the same
    /// ``PhysicalBounds`` instrument files are held to: for device models read from elsewhere
    /// (calibration files), which reach the simulated board and the planners without passing
    /// through an instrument file. Key paths are those of the model's stored form
    /// (`nonVolatile.gMaxSiemens.mean`); empty when every value is possible.
    public var physicalProblems: [InstrumentProblem] {
        var problems: [InstrumentProblem] = []
        func check(_ path: String, _ value: Double, _ rule: NumberRule) {
            if let message = rule.check(value) { problems.append(InstrumentProblem(keyPath: path, message: message)) }
        }
        func check(_ path: String, _ p: DistributedParameter, _ rule: NumberRule) {
            check(path + ".mean", p.mean, rule)
            check(path + ".spread", p.spread, .relativeSpread)
        }
        let nv = nonVolatile
        check("nonVolatile.gMinSiemens", nv.gMinSiemens, PhysicalBounds.conductanceSiemens)
        check("nonVolatile.gMaxSiemens", nv.gMaxSiemens, PhysicalBounds.conductanceSiemens)
        check("nonVolatile.setThresholdVolts", nv.setThresholdVolts, PhysicalBounds.pulseVolts)
        check("nonVolatile.resetThresholdVolts", nv.resetThresholdVolts, PhysicalBounds.pulseVolts)
        check("nonVolatile.cycleToCycleSpread", nv.cycleToCycleSpread, .relativeSpread)
        check("nonVolatile.readNoiseSpread", nv.readNoiseSpread, .relativeSpread)
        let populations = [("shortTermMemory", shortTermMemory)]
            + shortTermMemoryClasses.sorted { $0.key < $1.key }.map { ("shortTermMemoryClasses.\($0.key)", $0.value) }
        for (path, stm) in populations {
            check(path + ".ceilingSiemens", stm.ceilingSiemens, PhysicalBounds.conductanceSiemens)
            check(path + ".tauSeconds", stm.tauSeconds, PhysicalBounds.timeConstantSeconds)
            check(path + ".slowTauSeconds", stm.slowTauSeconds, PhysicalBounds.timeConstantSeconds)
            check(path + ".thresholdVolts", stm.thresholdVolts, PhysicalBounds.pulseVolts)
            check(path + ".cycleToCycleSpread", stm.cycleToCycleSpread, .relativeSpread)
            check(path + ".readNoiseSpread", stm.readNoiseSpread, .relativeSpread)
        }
        return problems
    }
}
