import Testing
import XbarWire

@Suite("electrical limits")
struct ElectricalLimitsTests {
    /// SET 3.0 V and RESET 3.3 V: distinct, so that a check of one polarity against the
    /// other's limit shows.
    let limits = SpecExamples.limits

    func cell(_ v: Float, _ w: Float) -> Request {
        .pulse(PulseCells(cells: .cell(tile: 0, CellIndex(row: 0, column: 0)), amplitudeVolts: v, widthSeconds: w, scheme: .grounded))
    }

    @Test("a pulse inside every limit passes, a RESET pulse between the SET and the RESET limit too")
    func inside() {
        #expect(limits.maxSetVolts == 3.0 && limits.maxResetVolts == 3.3)
        #expect(limits.check(cell(2.9, 1e-6)) == nil)
        #expect(limits.check(cell(-2.9, 1e-6)) == nil)
        #expect(limits.check(cell(-3.2, 1e-6)) == nil)
        #expect(limits.check(cell(3.0, 1e-6)) == nil)
        #expect(limits.check(cell(-3.3, 1e-6)) == nil)
    }

    @Test("out-of-limit pulses are refused naming the limit, its value and the requested value", arguments: [
        (Float(3.1), Float(1e-6), LimitID.setVolts, Float(3.1), Float(3.0)),
        (-3.4, 1e-6, .resetVolts, 3.4, 3.3),
        (1.0, 10e-9, .minPulseWidth, 10e-9, 50e-9),
        (1.0, 20e-6, .maxPulseWidth, 20e-6, 10e-6),
    ] as [(Float, Float, LimitID, Float, Float)])
    func refused(volts: Float, width: Float, limit: LimitID, value: Float, limitValue: Float) throws {
        let fault = try #require(limits.check(cell(volts, width)))
        #expect(fault.code == .outOfLimits)
        #expect(fault.limit == limit)
        #expect(fault.value == value)
        #expect(fault.limitValue == limitValue)
    }

    @Test("a pulse within amplitude and width but above the energy limit is refused as pulseEnergy")
    func energy() throws {
        // 2.9 V x 200 uA x 10 us = 5.8 nJ, above the 5 nJ limit; 2.5 V gives exactly 5 nJ.
        let worst = try #require(limits.check(cell(2.9, 10e-6)))
        #expect(worst.limit == .pulseEnergy)
        #expect(abs(worst.value - 5.8e-9) <= 1e-14)
        #expect(worst.limitValue == 5e-9)
        #expect(limits.check(cell(-2.4, 10e-6)) == nil)
        var tight = limits
        tight.maxPulseEnergyJoules = 1e-10   // 1 V x 200 uA x 1 us = 2e-10 J
        let fault = try #require(tight.check(cell(1.0, 1e-6)))
        #expect(fault.limit == .pulseEnergy)
        // Float arithmetic: 1 x 2e-4 x 1e-6 to within one part in 10^6 (a few ulps of Float).
        #expect(abs(fault.value - 2e-10) <= 2e-16)
    }

    @Test("a batch is refused by its first out-of-limit pulse, and a verify read above the read limit is refused")
    func batch() throws {
        let ok = CellPulse(cell: CellIndex(row: 0, column: 0), amplitudeVolts: 1, widthSeconds: 1e-6)
        let bad = CellPulse(cell: CellIndex(row: 0, column: 1), amplitudeVolts: 3.5, widthSeconds: 1e-6)
        let fault = try #require(limits.check(.pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: [ok, bad, ok]))))
        #expect(fault.limit == .setVolts)
        #expect(fault.value == 3.5)
        let read = try #require(limits.check(.pulseBatch(PulseBatch(tile: 0, scheme: .grounded,
                                                                    verify: VerifyRead(readVolts: 0.6), pulses: [ok]))))
        #expect(read.limit == .readVolts)
    }

    @Test("reads, read trains and MVM inputs are refused naming their limits")
    func others() throws {
        #expect(limits.check(.read(ReadCells(cells: .tile(0), readVolts: 0.2, averages: 257)))?.limit == .readAverages)
        #expect(limits.check(.read(ReadCells(cells: .tile(0), readVolts: 0, averages: 1)))?.limit == .readVolts)
        #expect(limits.check(.readTrain(ReadTrain(cells: .tile(3), pulse: nil, readVolts: 0.1, readCount: 4097, intervalSeconds: 1e-3)))?.limit == .readTrainLength)
        #expect(limits.check(.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 2, inputs: [0.1, -0.31])))?.limit == .mvmVolts)
    }

    @Test("NaN amplitudes are refused as bad arguments, never passed as in range")
    func notANumber() {
        #expect(limits.check(cell(.nan, 1e-6))?.code == .badArgument)
        #expect(limits.check(cell(1, .infinity))?.code == .badArgument)
    }
}
