import Testing
import XbarBoard
import XbarDevice
import XbarWire

@Suite("Simulated board: protocol operations and refusals")
struct SimulatedBoardProtocolTests {
    let instrument = TestInstrument.usb4x64()

    @Test("IDENTIFY describes the instrument: protocol 1, model, tiles, limits, converters, 64 KiB payload, 32 cached replies")
    func identifyDescribesTheInstrument() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1, serialNumber: "SIM-0042")
        let id = try board.identify()
        #expect(id.protocolVersion == 1)
        #expect(id.model == "xbar-usb-4x64")
        #expect(id.serialNumber == "SIM-0042")
        #expect(id.tiles == instrument.tiles)
        #expect(id.limits == instrument.limits)
        #expect(id.adc == instrument.adc && id.dac == instrument.dac)
        #expect(id.maxPayloadBytes == 65536 && id.replyCacheDepth == 32)
        #expect(id.capabilities.contains([.mvm, .pulseBatch, .readTrain, .play]))
        #expect(board.backendDescription == "simulated")
    }

    @Test("STATUS counts applied cell-pulses and reports board time that advanced by the pulse widths")
    func statusCountsPulses() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let before = try board.status()
        try board.pulse(.row(tile: 0, row: 3), amplitudeVolts: 1.8, widthSeconds: 1e-6, scheme: .grounded)
        let after = try board.status()
        #expect(before.state == .idle && after.state == .idle)
        #expect(after.pulsesApplied == before.pulsesApplied + 64)
        // 64 pulses of 1 us each: board time advanced by at least 64 us.
        #expect(after.boardTimeNanoseconds - before.boardTimeNanoseconds >= 64_000)
        #expect(board.pulsesApplied == 64)
    }

    @Test("a pulse above the SET limit is refused naming the limit, and nothing is applied")
    func setLimitRefused() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let fault = refusal(board, .pulse(PulseCells(cells: .tile(0), amplitudeVolts: 3.5, widthSeconds: 1e-6, scheme: .grounded)))
        #expect(fault?.code == .outOfLimits)
        #expect(fault?.limit == .setVolts)
        #expect(board.pulsesApplied == 0)
    }

    @Test("a batch with one out-of-limit pulse is refused whole: no pulse of it is applied")
    func batchRefusedWhole() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let g0 = board.trueConductance(tile: 0, row: 0, column: 0)
        var pulses = (0..<100).map { CellPulse(cell: CellIndex(row: 0, column: UInt16($0 % 64)), amplitudeVolts: 2, widthSeconds: 1e-6) }
        pulses.append(CellPulse(cell: CellIndex(row: 1, column: 1), amplitudeVolts: 2, widthSeconds: 20e-6))
        let fault = refusal(board, .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: pulses)))
        #expect(fault?.code == .outOfLimits)
        #expect(fault?.limit == .maxPulseWidth)
        #expect(board.pulsesApplied == 0)
        #expect(board.trueConductance(tile: 0, row: 0, column: 0) == g0)
    }

    @Test("a batch with one cell outside the tile is refused with badArgument and nothing is applied")
    func batchOutsideTileRefused() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        var pulses = (0..<10).map { CellPulse(cell: CellIndex(row: 2, column: UInt16($0)), amplitudeVolts: 2, widthSeconds: 1e-6) }
        pulses.append(CellPulse(cell: CellIndex(row: 64, column: 0), amplitudeVolts: 2, widthSeconds: 1e-6))
        let fault = refusal(board, .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: pulses)))
        #expect(fault?.code == .badArgument)
        #expect(fault?.message.contains("pulse 10") == true)
        #expect(board.pulsesApplied == 0)
    }

    @Test("unknown tiles, cells outside a tile and masks of the wrong shape are refused with badArgument")
    func geometryRefused() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let unknown = refusal(board, .read(ReadCells(cells: .tile(9), readVolts: 0.2)))
        #expect(unknown?.code == .badArgument)
        #expect(unknown?.message.contains("tile 9") == true)
        #expect(refusal(board, .read(ReadCells(cells: .cell(tile: 4, CellIndex(row: 4, column: 0)), readVolts: 0.1)))?.code == .badArgument)
        #expect(refusal(board, .pulse(PulseCells(cells: .row(tile: 0, row: 64), amplitudeVolts: 2, widthSeconds: 1e-6, scheme: .grounded)))?.code == .badArgument)
        let mask = CellMask(rows: 32, columns: 64)
        #expect(refusal(board, .pulse(PulseCells(cells: .mask(tile: 0, mask), amplitudeVolts: 2, widthSeconds: 1e-6, scheme: .grounded)))?.code == .badArgument)
        #expect(board.pulsesApplied == 0)
    }

    @Test("geometry is checked before the electrical limits: a bad cell with a bad voltage is refused as badArgument")
    func geometryBeforeLimits() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let both = refusal(board, .pulse(PulseCells(cells: .cell(tile: 0, CellIndex(row: 99, column: 0)), amplitudeVolts: 9,
                                                    widthSeconds: 1e-6, scheme: .grounded)))
        #expect(both?.code == .badArgument)
        let tooMany = refusal(board, .read(ReadCells(cells: .list(tile: 0, [CellIndex](repeating: CellIndex(row: 0, column: 0), count: 16382)),
                                                     readVolts: 0.2)))
        // 16 382 currents would take 10 + 4 * 16 382 = 65 538 bytes, two more than a payload.
        #expect(tooMany?.code == .badArgument)
        _ = try board.read(.list(tile: 0, [CellIndex](repeating: CellIndex(row: 0, column: 0), count: 16381)), readVolts: 0.2)
    }

    @Test("MVM is refused on STM tiles and when the input length is not the tile's row count")
    func mvmGeometryRefused() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let onStates = refusal(board, .mvm(MatrixVectorProduct(tile: TestInstrument.states, encoding: .voltage, readVolts: 0, inputLength: 4,
                                                               inputs: [Float](repeating: 0.1, count: 4))))
        #expect(onStates?.code == .badArgument)
        let short = refusal(board, .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 32,
                                                            inputs: [Float](repeating: 0.1, count: 64))))
        #expect(short?.code == .badArgument)
        let overLimit = refusal(board, .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                                inputs: [Float](repeating: 0.4, count: 64))))
        #expect(overLimit?.code == .outOfLimits && overLimit?.limit == .mvmVolts)
    }

    @Test("a PULSE on STM nodes is carried out and raises their conductance")
    func pulseOnStateNodes() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 1)
        let before = board.trueConductance(tile: TestInstrument.states, row: 0, column: 0)
        let receipt = try board.pulse(.cell(tile: TestInstrument.states, CellIndex(row: 0, column: 0)), amplitudeVolts: 1.5, widthSeconds: 1e-6, scheme: .grounded)
        #expect(receipt.appliedCount == 1)
        #expect(board.trueConductance(tile: TestInstrument.states, row: 0, column: 0) > before)
    }

    @Test("READ returns one current per cell in order, near G*V within read noise and one ADC step")
    func readMatchesTrueConductance() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 5)
        try board.pulse(.row(tile: 0, row: 7), amplitudeVolts: 2.0, widthSeconds: 2e-6, scheme: .grounded)
        let truth = (0..<64).map { board.trueConductance(tile: 0, row: 7, column: $0) }
        let currents = try board.read(.row(tile: 0, row: 7), readVolts: 0.2).amperes
        #expect(currents.count == 64)
        let step = Double(instrument.adc.readFullScaleAmperes) / 255
        let sigma = instrument.device.nonVolatile.readNoiseSpread
        for (g, i) in zip(truth, currents) {
            // 5 sigma of the read noise (1.5 % as shipped) plus one ADC step (rounding is half a step).
            #expect(abs(Double(i) - g * 0.2) <= 5 * sigma * g * 0.2 + step)
        }
    }

    @Test("a read above the ADC's full scale reads as full scale and is counted as saturated")
    func readSaturates() throws {
        // Reading 100 uS at 0.5 V is 50 uA nominal: set the cells to their top and read at a
        // full scale of 20 uA so that every non-stuck-at-min cell saturates.
        var small = TestInstrument.usb4x64()
        small.adc.readFullScaleAmperes = 20e-6
        let board = SimulatedBoard(instrument: small, seed: 2)
        try board.setConductances(tile: 0, siemens: [Double](repeating: 1, count: 4096))
        let currents = try board.read(.row(tile: 0, row: 0), readVolts: 0.5).amperes
        let stuckLow = (0..<64).filter { board.cellParameters(tile: 0, row: 0, column: $0).nonVolatile?.stuck == .atMin }.count
        #expect(currents.filter { $0 == 20e-6 }.count == 64 - stuckLow)
        #expect(board.adcSaturations == UInt64(64 - stuckLow))
    }
}
