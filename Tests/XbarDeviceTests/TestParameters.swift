import XbarDevice

/// Device parameters inside the realistic ranges of the design.
enum TestParameters {
    static var nonVolatile: NonVolatileCellParameters {
        NonVolatileCellParameters(
            gMinSiemens: DistributedParameter(1e-6, spread: 0.1),
            gMaxSiemens: DistributedParameter(100e-6, spread: 0.1),
            setThresholdVolts: DistributedParameter(1.0, spread: 0.05),
            resetThresholdVolts: DistributedParameter(1.1, spread: 0.05),
            setStepFraction: DistributedParameter(0.05, spread: 0.2),
            resetStepFraction: DistributedParameter(0.08, spread: 0.2),
            overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5,
            cycleToCycleSpread: 0.3, readNoiseSpread: 0.01,
            stuckAtMinRate: 0.01, stuckAtMaxRate: 0.02, relaxationSpreadPerDecade: 0.005)
    }

    static var shortTermMemory: ShortTermMemoryCellParameters {
        ShortTermMemoryCellParameters(
            baseSiemens: DistributedParameter(10e-6, spread: 0.1),
            ceilingSiemens: DistributedParameter(40e-6, spread: 0.1),
            tauSeconds: DistributedParameter(20e-3, spread: 0.2),
            slowTauSeconds: DistributedParameter(500e-3, spread: 0.2), slowFraction: 0.1,
            incrementFraction: DistributedParameter(0.05, spread: 0.15),
            thresholdVolts: DistributedParameter(0.8, spread: 0.05),
            overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5,
            cycleToCycleSpread: 0.2, readNoiseSpread: 0.01, readDisturbFraction: 0.001)
    }

    static func tile(seed: UInt64 = 1, parameters: NonVolatileCellParameters = nonVolatile, isolated: Bool = true) -> NonVolatileTile {
        NonVolatileTile(rows: 64, columns: 64, parameters: parameters, isolatesUnselectedCells: isolated) { r, c in
            CellStreams.key(seed: seed, tile: 0, row: r, column: c)
        }
    }

    /// A cell that is not stuck, with its drawn parameters.
    static func freeCell(_ p: NonVolatileCellParameters = nonVolatile, seed: UInt64 = 1) -> NonVolatileCellDraw {
        var k = 0
        while true {
            let d = NonVolatileCellDraw(drawingFrom: p, key: CellStreams.key(seed: seed, tile: 0, row: 0, column: k))
            if d.stuck == .none { return d }
            k += 1
        }
    }
}
