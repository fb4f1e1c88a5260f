import Testing
import XbarWire

@Suite("SWEEP staircase and limits")
struct SweepLimitTests {
    static let limits = ElectricalLimits(
        maxSetVolts: 3.0, maxResetVolts: 3.3, maxReadVolts: 0.5, maxMVMVolts: 0.3,
        minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6, complianceAmperes: 200e-6,
        maxPulseEnergyJoules: 5e-9, maxReadAverages: 256, maxReadTrainLength: 4096, maxProgramActions: 65_536,
        maxFormingVolts: 3.5)

    static func sweep(_ mode: SweepMode = .switching, vertices: [Float], step: Float = 0.5, width: Float = 1e-6,
                      compliance: Float = 100e-6, cycles: UInt16 = 1) -> VoltageSweep {
        VoltageSweep(mode: mode, stepWidthSeconds: width, stepVolts: step, complianceAmperes: compliance, readVolts: 0.2,
                     cycles: cycles, verticesVolts: vertices, cells: .tile(0))
    }

    @Test("a bipolar staircase walks 0 -> 1.5 -> 0 -> -1.5 -> 0 V in 0.5 V steps, its last step of each leg on the vertex")
    func staircase() {
        #expect(Self.sweep(vertices: [1.5, 0, -1.5, 0]).staircaseVolts == [0.5, 1.0, 1.5, 1.0, 0.5, 0, -0.5, -1.0, -1.5, -1.0, -0.5, 0])
        // A leg that is not a whole number of steps ends on its vertex: 0.4, 0.8, 1.0.
        #expect(Self.sweep(vertices: [1.0], step: 0.4).staircaseVolts == [0.4, 0.8, 1.0])
        #expect(Self.sweep(vertices: [1.0, 0], step: 0.5, cycles: 3).staircaseVolts.count == 12)
    }

    @Test("forming is held to limits.max_forming_volts (3.5 V), switching to the SET limit (3.0 V): both refuse, naming the limit")
    func formingLimit() {
        #expect(Self.limits.checkSweep(Self.sweep(.forming, vertices: [3.5])) == nil)
        let over = Self.limits.checkSweep(Self.sweep(.forming, vertices: [3.6]))
        #expect(over?.limit == .formingVolts && over?.limitValue == 3.5 && over?.value == 3.6)
        #expect(Self.limits.checkSweep(Self.sweep(.switching, vertices: [3.2]))?.limit == .setVolts)
        #expect(Self.limits.checkSweep(Self.sweep(.switching, vertices: [1, 0, -3.4]))?.limit == .resetVolts)
        #expect(Self.limits.checkSweep(Self.sweep(.forming, vertices: [-1]))?.code == .badArgument)
        // A board without a forming limit forms within the SET limit only.
        var old = Self.limits
        old.maxFormingVolts = nil
        #expect(old.checkSweep(Self.sweep(.forming, vertices: [3.2]))?.limit == .setVolts)
    }

    @Test("a sweep's worst-case step energy uses its own compliance, and its compliance may not exceed the board's")
    func energyAndCompliance() {
        // 3.5 V x 200 uA x 10 us = 7 nJ > 5 nJ; at 100 uA it is 3.5 nJ.
        #expect(Self.limits.checkSweep(Self.sweep(.forming, vertices: [3.5], width: 10e-6, compliance: 200e-6))?.limit == .pulseEnergy)
        #expect(Self.limits.checkSweep(Self.sweep(.forming, vertices: [3.5], width: 10e-6, compliance: 100e-6)) == nil)
        #expect(Self.limits.checkSweep(Self.sweep(vertices: [1], compliance: 300e-6))?.limit == .complianceCurrent)
        // 4097 steps per cell are refused before anything runs.
        #expect(Self.limits.checkSweep(Self.sweep(vertices: [3.0, 0], step: 0.001, cycles: 1))?.code == .badArgument)
    }
}
