import Foundation
import Testing
import XbarDevice
@testable import XbarJobs

@Suite("calibration files with numbers that are not finite")
struct CalibrationFileNumberTests {
    func yaml(_ edit: (inout CalibrationFile) -> Void) throws -> Data {
        var file = sampleCalibration(instrument: formatTestInstrument())
        edit(&file)
        return Data(try file.encoded(forPath: "c.yaml").utf8)
    }

    @Test("a YAML calibration whose set step is .nan is refused naming the key")
    func nanParameter() throws {
        let data = try yaml { $0.device.nonVolatile.setStepFraction = DistributedParameter(.nan, spread: 0.2) }
        #expect(throws: CalibrationFileError.malformed(path: "c.yaml", key: "device.nonVolatile.setStepFraction.mean", reason: "must be a finite number, got nan")) {
            _ = try CalibrationFile.decode(data, path: "c.yaml")
        }
    }

    @Test("an infinite time constant of a device class and an infinite node fit are refused naming their keys")
    func infiniteValues() throws {
        let classData = try yaml { $0.device.shortTermMemoryClasses["slow"] = { var p = $0.device.shortTermMemory; p.tauSeconds = DistributedParameter(.infinity); return p }($0) }
        #expect(throws: CalibrationFileError.malformed(path: "c.yaml", key: "device.shortTermMemoryClasses.slow.tauSeconds.mean", reason: "must be a finite number, got inf")) {
            _ = try CalibrationFile.decode(classData, path: "c.yaml")
        }
        let nodeData = try yaml { $0.nodes[0].baseSiemens = -.infinity }
        #expect(throws: CalibrationFileError.malformed(path: "c.yaml", key: "nodes[0].baseSiemens", reason: "must be a finite number, got -inf")) {
            _ = try CalibrationFile.decode(nodeData, path: "c.yaml")
        }
    }

    @Test("the same file with finite numbers reads back")
    func finiteReads() throws {
        let decoded = try CalibrationFile.decode(try yaml { _ in }, path: "c.yaml")
        #expect(decoded.device.nonVolatile.setStepFraction.mean == 0.0437)
    }

    @Test("a device model no crossbar can have (Gmax of 5 S, a spread of 5.0) is refused by the instrument files' physical bounds")
    func impossibleDeviceModel() throws {
        let siemens = try yaml { $0.device.nonVolatile.gMaxSiemens = DistributedParameter(5, spread: 0.1) }
        #expect {
            _ = try CalibrationFile.decode(siemens, path: "c.yaml")
        } throws: { error in
            "\(error)".contains("device.nonVolatile.gMaxSiemens.mean: must be greater than 0 and at most 0.01 S")
        }
        let spread = try yaml { $0.device.shortTermMemory.tauSeconds = DistributedParameter(0.02, spread: 5.0) }
        #expect {
            _ = try CalibrationFile.decode(spread, path: "c.yaml")
        } throws: { error in
            "\(error)".contains("device.shortTermMemory.tauSeconds.spread: must be between 0 and 1")
        }
        // At the bounds themselves the file reads.
        let bounds = try yaml {
            $0.device.nonVolatile.gMaxSiemens = DistributedParameter(0.01, spread: 1)
        }
        #expect(try CalibrationFile.decode(bounds, path: "c.yaml").device.nonVolatile.gMaxSiemens.spread == 1)
    }
}
