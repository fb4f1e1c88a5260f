import Foundation
import Testing
import XbarDevice

@Suite("device parameters as JSON")
struct DeviceParametersCodingTests {
    /// A device model as written before STM device classes existed: no `shortTermMemoryClasses`.
    static let withoutClasses = """
        {"nonVolatile": {"gMinSiemens": {"mean": 1e-6, "spread": 0.1}, "gMaxSiemens": {"mean": 1e-4, "spread": 0.1},
          "setThresholdVolts": {"mean": 1.0, "spread": 0.05}, "resetThresholdVolts": {"mean": 1.1, "spread": 0.05},
          "setStepFraction": {"mean": 0.05, "spread": 0.2}, "resetStepFraction": {"mean": 0.08, "spread": 0.2},
          "overdriveScaleVolts": 0.5, "referenceWidthSeconds": 1e-6, "widthExponent": 0.5, "cycleToCycleSpread": 0.3,
          "readNoiseSpread": 0.01, "stuckAtMinRate": 0.01, "stuckAtMaxRate": 0.02, "relaxationSpreadPerDecade": 0.005},
         "shortTermMemory": {"baseSiemens": {"mean": 1e-5, "spread": 0.1}, "ceilingSiemens": {"mean": 4e-5, "spread": 0.1},
          "tauSeconds": {"mean": 0.02, "spread": 0.2}, "slowTauSeconds": {"mean": 0.5, "spread": 0.2}, "slowFraction": 0.1,
          "incrementFraction": {"mean": 0.05, "spread": 0.15}, "thresholdVolts": {"mean": 0.8, "spread": 0.05},
          "overdriveScaleVolts": 0.5, "referenceWidthSeconds": 1e-6, "widthExponent": 0.5, "cycleToCycleSpread": 0.2,
          "readNoiseSpread": 0.01, "readDisturbFraction": 0.001}}
        """

    @Test("a device model written before device classes decodes with none, and is written back without the key")
    func oldFilesDecode() throws {
        let decoded = try JSONDecoder().decode(DeviceParameters.self, from: Data(Self.withoutClasses.utf8))
        #expect(decoded == DeviceParameters(nonVolatile: TestParameters.nonVolatile, shortTermMemory: TestParameters.shortTermMemory))
        #expect(decoded.shortTermMemoryClasses.isEmpty)
        let written = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(!written.contains("shortTermMemoryClasses"))
    }

    @Test("device classes survive a JSON round trip, and a class is found by name, the default by nil")
    func classesRoundTrip() throws {
        var fast = TestParameters.shortTermMemory
        fast.tauSeconds = DistributedParameter(3e-3, spread: 0.18)
        let device = DeviceParameters(nonVolatile: TestParameters.nonVolatile, shortTermMemory: TestParameters.shortTermMemory,
                                      shortTermMemoryClasses: ["wox_3ms": fast])
        let decoded = try JSONDecoder().decode(DeviceParameters.self, from: try JSONEncoder().encode(device))
        #expect(decoded == device)
        #expect(decoded.shortTermMemory(deviceClass: "wox_3ms")?.tauSeconds.mean == 3e-3)
        #expect(decoded.shortTermMemory(deviceClass: nil) == TestParameters.shortTermMemory)
        #expect(decoded.shortTermMemory(deviceClass: "wox_9ms") == nil)
    }
}
