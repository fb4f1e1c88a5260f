import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// A USB board like the lab's 4x64 one, with every value inside the realistic ranges of the
/// design (Gmin 1 uS, Gmax 100 uS, thresholds about 1 V, 1 % read noise, ...): tiles 0 and 1
/// are 64x64 1T1R, tile 2 is a 64x64 passive array, tile 3 holds 16x16 STM nodes.
enum TestInstrument {
    static let weights: UInt8 = 0
    static let passive: UInt8 = 2
    static let states: UInt8 = 3

    static var device: DeviceParameters {
        DeviceParameters(
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
    }

    static var limits: ElectricalLimits {
        ElectricalLimits(maxSetVolts: 3.3, maxResetVolts: 3.3, maxReadVolts: 0.5, maxMVMVolts: 0.3,
                         minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6, complianceAmperes: 500e-6,
                         maxPulseEnergyJoules: 2e-8, maxReadAverages: 64, maxReadTrainLength: 4096,
                         maxProgramActions: 65536)
    }

    /// - Parameter adcBits: 8 like the 4x64 board; 12 where a test needs quantisation well
    ///   below the read noise.
    static func usb4x64(adcBits: UInt8 = 8, device: DeviceParameters = TestInstrument.device) -> Instrument {
        Instrument(
            name: "test-usb-4x64", model: "xbar-usb-4x64", description: "test board", path: nil, version: "1",
            transport: .usb(USBSettings(vendorID: 0x1209, productID: 0x4D58, interfaceNumber: 0,
                                        outEndpoint: 0x01, inEndpoint: 0x81)),
            tiles: [
                TileInfo(index: 0, kind: .nonVolatile1T1R, rows: 64, columns: 64),
                TileInfo(index: 1, kind: .nonVolatile1T1R, rows: 64, columns: 64),
                TileInfo(index: 2, kind: .nonVolatilePassive, rows: 64, columns: 64),
                TileInfo(index: 3, kind: .shortTermMemory, rows: 16, columns: 16),
            ],
            limits: limits,
            adc: ADCInfo(bits: adcBits, readFullScaleAmperes: 50e-6, mvmFullScaleAmperes: 2e-3),
            dac: DACInfo(bits: 8, fullScaleVolts: 0.3),
            defaultBiasScheme: .grounded, defaultReadVolts: 0.2, stmReadVolts: 0.1, device: device)
    }
}

extension BoardError {
    /// The fault inside, if this is one.
    var fault: BoardFault? {
        if case .fault(let f) = self { return f }
        return nil
    }
}

/// The fault a request is refused with, or nil when it is carried out.
func refusal(_ board: SimulatedBoard, _ request: Request) -> BoardFault? {
    do {
        _ = try board.perform(request)
        return nil
    } catch let error as BoardError {
        return error.fault
    } catch {
        return nil
    }
}
