import Foundation
import Testing
import XbarDevice
import XbarInstrument
import XbarWire
@testable import XbarJobs

/// A calibration file with recognisable values, for format tests.
func sampleCalibration(instrument: Instrument) -> CalibrationFile {
    var device = instrument.device
    device.nonVolatile.setStepFraction = DistributedParameter(0.0437, spread: 0.21)
    device.shortTermMemory.tauSeconds = DistributedParameter(0.0213, spread: 0.18)
    return CalibrationFile(
        createdAt: "2026-11-23T10:00:00Z", instrument: InstrumentReference(instrument), runID: "run-7", backend: "simulated",
        device: device, uncertainties: ["nonVolatile.setStepFraction.mean": 0.0011],
        notMeasured: ["nonVolatile.relaxationSpreadPerDecade"],
        cells: [CellFitSummary(tile: 0, row: 3, column: 5, status: "ok", gMinSiemens: 1.4e-6, gMaxSiemens: 9.8e-5,
                               setStepFraction: 0.041, setThresholdVolts: 1.02, resetStepFraction: 0.052,
                               resetThresholdVolts: 1.19, relativeStepResidual: 0.01, heldOutRelativeRMS: 0.02)],
        nodes: [NodeFitSummary(tile: 4, row: 0, column: 1, converged: true, tauSeconds: 0.021, tauUncertainty: 0.0003,
                               slowTauSeconds: nil, slowFraction: nil, baseSiemens: 2e-6, ceilingSiemens: 2e-5,
                               incrementFraction: 0.05, thresholdVolts: 0.8, group: 0, heldOutRelativeRMS: 0.03)],
        timeConstantGroups: [TimeConstantGroupSummary(centerSeconds: 0.021, minSeconds: 0.015, maxSeconds: 0.03, relativeSpread: 0.18, nodeCount: 1)],
        heldOut: HeldOutErrors(nonVolatileRelativeRMS: 0.02, nonVolatileCurves: 2, nonVolatileHeldOut: "SET and RESET at 1.55 V",
                               stmRelativeRMS: 0.03, stmTraces: 5, stmHeldOut: "repetition 2 of 3"))
}

/// A minimal instrument value for file-format tests (the shipped instruments are loaded where
/// physics matters).
func formatTestInstrument(name: String = "usb-4x64") -> Instrument {
    let nv = NonVolatileCellParameters(
        gMinSiemens: DistributedParameter(1.5e-6, spread: 0.1), gMaxSiemens: DistributedParameter(1e-4, spread: 0.1),
        setThresholdVolts: DistributedParameter(1.0, spread: 0.1), resetThresholdVolts: DistributedParameter(1.2, spread: 0.1),
        setStepFraction: DistributedParameter(0.04, spread: 0.2), resetStepFraction: DistributedParameter(0.05, spread: 0.2),
        overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5, cycleToCycleSpread: 0.3,
        readNoiseSpread: 0.015, stuckAtMinRate: 0.003, stuckAtMaxRate: 0.002, relaxationSpreadPerDecade: 0.004)
    let stm = ShortTermMemoryCellParameters(
        baseSiemens: DistributedParameter(2e-6, spread: 0.1), ceilingSiemens: DistributedParameter(2e-5, spread: 0.1),
        tauSeconds: DistributedParameter(0.02, spread: 0.2), slowTauSeconds: DistributedParameter(0.5, spread: 0.2), slowFraction: 0.1,
        incrementFraction: DistributedParameter(0.05, spread: 0.15), thresholdVolts: DistributedParameter(0.8, spread: 0.1),
        overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5, cycleToCycleSpread: 0.3,
        readNoiseSpread: 0.015, readDisturbFraction: 0.01)
    let limits = ElectricalLimits(maxSetVolts: 3, maxResetVolts: 3.3, maxReadVolts: 0.5, maxMVMVolts: 0.3,
                                  minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6, complianceAmperes: 200e-6,
                                  maxPulseEnergyJoules: 5e-9, maxReadAverages: 256, maxReadTrainLength: 4096, maxProgramActions: 65536)
    return Instrument(name: name, model: "xbar-\(name)", description: "format test", path: nil, version: "1.0.0",
                      transport: .usb(USBSettings(vendorID: 0x1209, productID: 0x58BA, interfaceNumber: 0, outEndpoint: 1, inEndpoint: 0x81)),
                      tiles: [TileInfo(index: 0, kind: .nonVolatile1T1R, rows: 64, columns: 64), TileInfo(index: 4, kind: .shortTermMemory, rows: 4, columns: 64)],
                      limits: limits, adc: ADCInfo(bits: 8, readFullScaleAmperes: 40e-6, mvmFullScaleAmperes: 1e-3),
                      dac: DACInfo(bits: 8, fullScaleVolts: 0.25), defaultBiasScheme: .grounded, defaultReadVolts: 0.2,
                      stmReadVolts: 0.2, device: DeviceParameters(nonVolatile: nv, shortTermMemory: stm))
}

@Suite("Calibration files")
struct CalibrationFileTests {
    let directory: String = {
        let d = NSTemporaryDirectory() + "xbar-calfile-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    @Test("a calibration written as JSON and as YAML reads back equal", arguments: ["json", "yaml"])
    func roundTrip(_ ext: String) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = sampleCalibration(instrument: formatTestInstrument())
        let path = "\(directory)/cal.\(ext)"
        try file.save(path: path)
        let back = try CalibrationFile.load(path: path)
        #expect(back == file)
        #expect(back.device.nonVolatile.setStepFraction == DistributedParameter(0.0437, spread: 0.21))
    }

    @Test("a fit with an infinite or undefined uncertainty is written and read back, as JSON and as YAML", arguments: ["json", "yaml"])
    func nonFiniteUncertainties(_ ext: String) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var file = sampleCalibration(instrument: formatTestInstrument())
        file.uncertainties["shortTermMemory.tauSeconds.mean"] = .infinity
        file.nodes[0].tauUncertainty = .infinity
        let path = "\(directory)/cal.\(ext)"
        try file.save(path: path)
        let back = try CalibrationFile.load(path: path)
        #expect(back == file)
        #expect(back.nodes[0].tauUncertainty == .infinity)
    }

    @Test("a calibration of a board without STM device classes is written exactly as before classes existed, and such a file loads")
    func filesWithoutClasses() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = sampleCalibration(instrument: formatTestInstrument())
        let path = "\(directory)/cal.json"
        try file.save(path: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // Neither key of the device classes appears: the text is that of the earlier format.
        #expect(!text.contains("shortTermMemoryClasses") && !text.contains("deviceClass"))
        let back = try CalibrationFile.load(path: path)
        #expect(back == file)
        #expect(back.device.shortTermMemoryClasses.isEmpty && back.nodes[0].deviceClass == nil)
        let instrument = formatTestInstrument()
        #expect(try back.stateNode(1, of: instrument).tauSeconds == 0.021)
        #expect(try back.stateNode(2, of: instrument).tauSeconds == 0.0213)
    }

    @Test("a periphery section (fitted lines, measured columns) reads back equal, and a file written before it existed loads without one", arguments: ["json", "yaml"])
    func peripherySection(_ ext: String) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var file = sampleCalibration(instrument: formatTestInstrument())
        var fitted = ArrayPeripheryParameters(wireOhmsPerCell: 1.1, lineOhms: 23.5, senseGainSpread: 0.014, senseOffsetSpread: 0.003,
                                              adcBowLSB: DistributedParameter(0.9), adcCodeNoiseLSB: 0.25, halfSelectCurrentFraction: 0)
        fitted.measuredColumns = [MeasuredColumns(tile: 0, gains: [1.01, 0.98], offsetsAmperes: [2e-6, -1e-6])]
        file.periphery = PeripheryCalibration(tile: 0, parameters: fitted, uncertainties: ["periphery.lineOhms": 0.3],
                                              notMeasured: ["periphery.adcCodeNoiseLSB"], heldOutProbes: 400,
                                              heldOutRelativeRMS: 0.02, heldOutIdealRelativeRMS: 0.4, fitResidualRelativeRMS: 0.02)
        let path = "\(directory)/cal.\(ext)"
        try file.save(path: path)
        #expect(try CalibrationFile.load(path: path) == file)

        // The same file as an older xbar wrote it: no periphery key at all.
        file.periphery = nil
        let older = "\(directory)/older.\(ext)"
        try file.save(path: older)
        #expect(!(try String(contentsOfFile: older, encoding: .utf8)).contains("periphery"))
        #expect(try CalibrationFile.load(path: older).periphery == nil)
    }

    @Test("a wrong value is reported with the file and the full key path")
    func badValueNamesKey() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/cal.yaml"
        let text = try sampleCalibration(instrument: formatTestInstrument()).encoded(forPath: path)
            .replacingOccurrences(of: "mean: 2.13e-2", with: "mean: fast")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try CalibrationFile.load(path: path)
            Issue.record("a malformed file loaded")
        } catch {
            #expect(error.description.hasPrefix(path + ": device.shortTermMemory.tauSeconds"))
        }
    }

    @Test("a missing file, an unknown extension and a future format version are refused with the path")
    func refusals() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: CalibrationFileError.unreadable(path: "\(directory)/none.json", reason: "no such file")) {
            try CalibrationFile.load(path: "\(directory)/none.json")
        }
        #expect(throws: CalibrationFileError.unknownFormat(path: "cal.txt")) { try CalibrationFile.load(path: "cal.txt") }
        var future = sampleCalibration(instrument: formatTestInstrument())
        future.formatVersion = 99
        try future.save(path: "\(directory)/future.json")
        #expect(throws: CalibrationFileError.unsupportedVersion(path: "\(directory)/future.json", found: 99, supported: 1)) {
            try CalibrationFile.load(path: "\(directory)/future.json")
        }
    }

    @Test("a calibration made for another instrument is refused, naming both instruments")
    func otherInstrument() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/cal.json"
        try sampleCalibration(instrument: formatTestInstrument(name: "serial-32x32")).save(path: path)
        #expect(throws: CalibrationFileError.otherInstrument(path: path, calibratedFor: "serial-32x32", requested: "usb-4x64")) {
            try CalibrationFile.deviceParameters(path: path, for: formatTestInstrument())
        }
        let (device, warnings) = try CalibrationFile.deviceParameters(path: path, for: formatTestInstrument(name: "serial-32x32"))
        #expect(device.shortTermMemory.tauSeconds.mean == 0.0213)
        #expect(warnings.isEmpty)
    }
}
