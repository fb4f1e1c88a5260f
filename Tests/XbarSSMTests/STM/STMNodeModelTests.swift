import Foundation
import Testing
import XbarDevice
import XbarInstrument
import XbarJobs
@testable import XbarSSM

@Suite("STM node models from a calibration of several device classes")
struct STMNodeModelTests {
    static func multitau() throws -> (Instrument, CalibrationFile) {
        let instrument = try Instrument.load(path: Examples.root.appendingPathComponent("instruments/usb-4x64-multitau.yaml").path)
        let file = try CalibrationFile.load(path: Examples.path("usb-4x64-multitau.calibration.json"))
        return (instrument, file)
    }

    @Test("every node follows its row's class: its law is the class's, its parameters its own fit or the class's means")
    func perClassLaws() throws {
        var (instrument, file) = try Self.multitau()
        // One node whose fit did not converge: row 2 (wox_30ms), column 9.
        let k = try #require(file.nodes.firstIndex { $0.row == 2 && $0.column == 9 })
        file.nodes[k].converged = false
        let nodes = try STMNodeModel(calibration: file, calibrationSHA256: "test", instrument: instrument)
        #expect(nodes.nodeCount == 256)
        for (row, name) in ["wox_3ms", "wox_10ms", "wox_30ms", "wox_90ms"].enumerated() {
            #expect(nodes.rowLaws[row] == file.device.shortTermMemoryClasses[name])
            #expect(nodes.noiselessLaw(ofNode: row * 64 + 1).readNoiseSpread == 0)
            #expect(nodes.noiselessLaw(ofNode: row * 64 + 1).overdriveScaleVolts == file.device.shortTermMemoryClasses[name]!.overdriveScaleVolts)
        }
        let fit = try #require(file.nodes.first { $0.row == 1 && $0.column == 4 })
        #expect(nodes.draws[64 + 4].tauSeconds == fit.tauSeconds)
        #expect(nodes.draws[2 * 64 + 9].tauSeconds == file.device.shortTermMemoryClasses["wox_30ms"]!.tauSeconds.mean)
    }

    @Test("a calibration that lacks a class the rows use is refused, naming it")
    func missingClass() throws {
        let (instrument, loaded) = try Self.multitau()
        var file = loaded
        file.device.shortTermMemoryClasses["wox_90ms"] = nil
        #expect(throws: STMStateError.calibrationMismatch("it has no STM device class wox_90ms, which row 3 uses")) {
            try STMNodeModel(calibration: file, calibrationSHA256: "test", instrument: instrument)
        }
    }
}
