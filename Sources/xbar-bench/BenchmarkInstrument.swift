import XbarDevice
import XbarInstrument
import XbarWire

/// The instrument the simulation benchmark runs on: a USB board with four 64x64 tiles
/// (three 1T1R weight tiles, one of STM nodes), 8-bit converters, and device parameters in
/// the middle of the realistic ranges of the design.
enum BenchmarkInstrument {
    static var usb4x64: Instrument {
        let device = DeviceParameters(
            nonVolatile: NonVolatileCellParameters(
                gMinSiemens: DistributedParameter(1e-6, spread: 0.1),
                gMaxSiemens: DistributedParameter(100e-6, spread: 0.1),
                setThresholdVolts: DistributedParameter(1.0, spread: 0.05),
                resetThresholdVolts: DistributedParameter(1.1, spread: 0.05),
                setStepFraction: DistributedParameter(0.05, spread: 0.2),
                resetStepFraction: DistributedParameter(0.08, spread: 0.2),
                overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5,
                cycleToCycleSpread: 0.3, readNoiseSpread: 0.01,
                stuckAtMinRate: 0.005, stuckAtMaxRate: 0.005, relaxationSpreadPerDecade: 0.005),
            shortTermMemory: ShortTermMemoryCellParameters(
                baseSiemens: DistributedParameter(10e-6, spread: 0.1),
                ceilingSiemens: DistributedParameter(40e-6, spread: 0.1),
                tauSeconds: DistributedParameter(20e-3, spread: 0.2),
                slowTauSeconds: DistributedParameter(500e-3, spread: 0.2), slowFraction: 0.1,
                incrementFraction: DistributedParameter(0.05, spread: 0.15),
                thresholdVolts: DistributedParameter(0.8, spread: 0.05),
                overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5,
                cycleToCycleSpread: 0.2, readNoiseSpread: 0.01, readDisturbFraction: 0.001))
        return Instrument(
            name: "usb-4x64", model: "xbar-usb-4x64", description: "USB board, four 64x64 tiles", path: nil, version: "1",
            transport: .usb(USBSettings(vendorID: 0x1209, productID: 0x4D58, interfaceNumber: 0,
                                        outEndpoint: 0x01, inEndpoint: 0x81)),
            tiles: [
                TileInfo(index: 0, kind: .nonVolatile1T1R, rows: 64, columns: 64),
                TileInfo(index: 1, kind: .nonVolatile1T1R, rows: 64, columns: 64),
                TileInfo(index: 2, kind: .nonVolatile1T1R, rows: 64, columns: 64),
                TileInfo(index: 3, kind: .shortTermMemory, rows: 64, columns: 64),
            ],
            limits: ElectricalLimits(maxSetVolts: 3.3, maxResetVolts: 3.3, maxReadVolts: 0.5, maxMVMVolts: 0.3,
                                     minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6,
                                     complianceAmperes: 500e-6, maxPulseEnergyJoules: 2e-8, maxReadAverages: 64,
                                     maxReadTrainLength: 4096, maxProgramActions: 65536),
            adc: ADCInfo(bits: 8, readFullScaleAmperes: 50e-6, mvmFullScaleAmperes: 2e-3),
            dac: DACInfo(bits: 8, fullScaleVolts: 0.3),
            defaultBiasScheme: .grounded, defaultReadVolts: 0.2, stmReadVolts: 0.1, device: device)
    }
}
