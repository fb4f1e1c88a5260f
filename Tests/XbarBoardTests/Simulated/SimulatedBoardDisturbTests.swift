import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

@Suite("Simulated board: bias schemes, half-select disturb and compliance")
struct SimulatedBoardDisturbTests {
    static func snapshot(_ board: SimulatedBoard, tile: UInt8, size: Int) -> [Double] {
        (0..<(size * size)).map { board.trueConductance(tile: tile, row: $0 / size, column: $0 % size) }
    }

    /// The shipped passive board with its cells' switching law alone: the creep of pulses just
    /// below threshold (the wear section's disturb) is left out here and counted in the disturb
    /// module's own tests.
    static func switchingOnly() -> Instrument {
        var instrument = TestInstrument.serial32x32()
        instrument.device.nonVolatile.wear?.disturbStepFraction = 0
        return instrument
    }

    static func drawn(_ board: SimulatedBoard, _ tile: UInt8, _ r: Int, _ c: Int) throws -> NonVolatileCellDraw {
        try #require(board.cellParameters(tile: tile, row: r, column: c).nonVolatile)
    }

    @Test("under V/2 a sub-threshold half-select changes no other cell, exactly")
    func halfSelectBelowThreshold() throws {
        let board = SimulatedBoard(instrument: Self.switchingOnly(), seed: 3)
        let passive = TestInstrument.passive
        let lowest = try (0..<1024).map { try Self.drawn(board, passive, $0 / 32, $0 % 32).setThresholdVolts }.min()!
        let volts = 1.6
        // The test means something only if V/2 is below every threshold but V is above many.
        try #require(volts / 2 < lowest && volts > 1.2)
        let before = Self.snapshot(board, tile: passive, size: 32)
        try board.pulse(.cell(tile: passive, CellIndex(row: 10, column: 20)), amplitudeVolts: volts,
                        widthSeconds: 1e-6, scheme: .halfVoltage)
        let after = Self.snapshot(board, tile: passive, size: 32)
        for k in 0..<1024 where k != 10 * 32 + 20 { #expect(after[k] == before[k]) }
    }

    @Test("under V/2 exactly the half-selected cells whose threshold is below V/2 switch; others and the rest of the tile do not")
    func halfSelectAboveThreshold() throws {
        let board = SimulatedBoard(instrument: Self.switchingOnly(), seed: 3)
        let passive = TestInstrument.passive
        let before = Self.snapshot(board, tile: passive, size: 32)
        let volts = Float(2.9)
        try board.pulse(.cell(tile: passive, CellIndex(row: 10, column: 20)), amplitudeVolts: Double(volts),
                        widthSeconds: 1e-6, scheme: .halfVoltage)
        let after = Self.snapshot(board, tile: passive, size: 32)
        var eligible = 0, switched = 0
        for r in 0..<32 {
            for c in 0..<32 where !(r == 10 && c == 20) {
                let k = r * 32 + c
                guard r == 10 || c == 20 else {
                    #expect(after[k] == before[k], "cell (\(r), \(c)) shares no line with the pulsed cell")
                    continue
                }
                let drawn = try Self.drawn(board, passive, r, c)
                let canSwitch = drawn.stuck == .none && drawn.setThresholdVolts < Double(volts) / 2
                if canSwitch { eligible += 1 }
                if after[k] != before[k] {
                    switched += 1
                    #expect(canSwitch, "cell (\(r), \(c)) switched at V/2 below its threshold")
                    #expect(after[k] > before[k], "a positive half-select can only SET")
                }
            }
        }
        // V/2 = 1.45 V against the shipped thresholds of 1.4 V +- 8 %: about 2/3 of the 62
        // half-selected cells are eligible. An eligible cell stays put only if its c2c factor is floored
        // (xi < -3.3, probability 5e-4), so all but at most a couple switch.
        #expect(eligible > 25)
        #expect(switched >= eligible - 2)
    }

    @Test("under V/3 half-selected cells see V/3 and all other cells -V/3")
    func thirdVoltageScheme() throws {
        // Cells with lower thresholds than the shipped V/2 array, so that V/3 of a 3 V pulse
        // reaches some of them.
        let instrument = Self.switchingOnly()
        var device = instrument.device
        device.nonVolatile.setThresholdVolts = DistributedParameter(1.0, spread: 0.1)
        device.nonVolatile.resetThresholdVolts = DistributedParameter(1.2, spread: 0.1)
        let board = SimulatedBoard(instrument: instrument, parameters: device, seed: 8)
        let passive = TestInstrument.passive
        try board.setConductances(tile: passive, siemens: [Double](repeating: 30e-6, count: 1024))
        let before = Self.snapshot(board, tile: passive, size: 32)
        let volts = Float(3.0)
        try board.pulse(.cell(tile: passive, CellIndex(row: 0, column: 0)), amplitudeVolts: Double(volts),
                        widthSeconds: 1e-6, scheme: .thirdVoltage)
        let after = Self.snapshot(board, tile: passive, size: 32)
        var raised = 0, lowered = 0
        for r in 0..<32 {
            for c in 0..<32 where !(r == 0 && c == 0) {
                let k = r * 32 + c
                let drawn = try Self.drawn(board, passive, r, c)
                if r == 0 || c == 0 {
                    if after[k] > before[k] { raised += 1; #expect(drawn.setThresholdVolts < Double(volts) / 3) }
                    #expect(after[k] >= before[k])
                } else {
                    if after[k] < before[k] { lowered += 1; #expect(drawn.resetThresholdVolts < Double(volts) / 3) }
                    #expect(after[k] <= before[k])
                }
            }
        }
        // V/3 = 1.0 V: at the SET threshold mean (about half of 62 half-selected cells), and
        // 1.8 sigma below the RESET mean of 1.2 V (about 4 % of the 961 other cells, 36).
        #expect(raised > 15)
        #expect(lowered > 15)
    }

    @Test("1T1R tiles are never disturbed: not under grounded bias, not under V/2")
    func oneTransistorTilesIsolate() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 3)
        let before = Self.snapshot(board, tile: 0, size: 64)
        try board.pulse(.cell(tile: 0, CellIndex(row: 10, column: 20)), amplitudeVolts: 3.0, widthSeconds: 1e-6, scheme: .grounded)
        try board.pulse(.cell(tile: 0, CellIndex(row: 10, column: 20)), amplitudeVolts: 3.0, widthSeconds: 1e-6, scheme: .halfVoltage)
        let after = Self.snapshot(board, tile: 0, size: 64)
        for k in 0..<4096 where k != 10 * 64 + 20 { #expect(after[k] == before[k]) }
    }

    @Test("compliance caps a SET at I_compliance / V and the receipt counts the limited pulses")
    func complianceCapsSet() throws {
        var instrument = TestInstrument.usb4x64()
        instrument.limits.complianceAmperes = 50e-6
        let board = SimulatedBoard(instrument: instrument, seed: 6)
        var hits: UInt32 = 0
        for _ in 0..<30 {
            hits += try board.pulse(.row(tile: 0, row: 0), amplitudeVolts: 2.5, widthSeconds: 5e-6, scheme: .grounded).complianceHits
        }
        // 50 uA at 2.5 V: no free cell above 20 uS (drawn Gmax is about 100 uS).
        let cap = 50e-6 / Double(Float(2.5))
        for c in 0..<64 where !board.isStuck(tile: 0, row: 0, column: c) {
            #expect(board.trueConductance(tile: 0, row: 0, column: c) <= cap * (1 + 1e-12))
        }
        #expect(hits > 0)
        #expect(board.complianceHits == UInt64(hits))
    }
}
