import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// The array periphery of the simulated board, one effect at a time (the others ideal), with
/// converters fine enough (16-20 bits) that quantisation does not hide the effect.
@Suite("Simulated board: array physics")
struct SimulatedBoardArrayPhysicsTests {
    static func only(_ change: (inout ArrayPeripheryParameters) -> Void) -> ArrayPeripheryParameters {
        var p = ArrayPeripheryParameters.ideal
        change(&p)
        return p
    }

    /// Column currents of `vectors` inputs on tile 0, amperes, vector after vector.
    static func multiply(_ board: SimulatedBoard, _ inputs: [Double]) throws -> [Double] {
        try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                          inputs: inputs.map { Float($0) })).amperes.map(Double.init)
    }

    @Test("a column's amplifier gain shows in its MVM output: measured over ideal current equals the drawn gain within 0.1 %")
    func columnGain() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(adcBits: 20),
                                   periphery: Self.only { $0.senseGainSpread = 0.02 }, seed: 21)
        var random = Xoshiro256StarStar(seed: 1)
        try board.setConductances(tile: 0, siemens: (0..<4096).map { _ in 5e-6 + 90e-6 * random.nextOpenUnit() })
        let step = Double(board.instrument.dac.fullScaleVolts) / 127
        let vectors = 64
        // Positive inputs on DAC levels: the DAC passes them unchanged.
        let inputs = (0..<(vectors * 64)).map { _ in Double(1 + Int(random.next() % 127)) * step }
        let out = try Self.multiply(board, inputs)
        let gains = board.periphery.columns[0]!.gains
        #expect(Set(gains.map { ($0 * 100).rounded() }).count > 3, "the gains are drawn, not all 1")
        for j in 0..<64 {
            var xy = 0.0, xx = 0.0
            for k in 0..<vectors {
                var ideal = 0.0
                for i in 0..<64 { ideal += board.trueConductance(tile: 0, row: i, column: j) * inputs[k * 64 + i] }
                xy += ideal * out[k * 64 + j]
                xx += ideal * ideal
            }
            // Read noise is 1.5 % per cell, about 0.2 % per column sum, 0.025 % over 64 vectors.
            #expect(abs(xy / xx - gains[j]) < 0.001 * gains[j], "column \(j)")
        }
    }

    @Test("a column's amplifier offset is what an all-zero input reads, within one 20-bit step")
    func columnOffset() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(adcBits: 20),
                                   periphery: Self.only { $0.senseOffsetSpread = 0.005 }, seed: 22)
        let out = try Self.multiply(board, [Double](repeating: 0, count: 64))
        let offsets = board.periphery.columns[0]!.offsetsAmperes
        let step = Double(board.instrument.adc.mvmFullScaleAmperes) / Double((1 << 19) - 1)
        #expect(offsets.map(abs).max()! > 1e-6)
        for j in 0..<64 { #expect(abs(out[j] - offsets[j]) <= step) }
    }

    @Test("the IR drop grows with the current: the MVM's shortfall against ideal wires is 1.8-2.2 times larger at 40 uS than at 20 uS, and the line model's within 0.5 %")
    func irDropGrowsWithCurrent() throws {
        func shortfall(_ siemens: Double) throws -> Double {
            let board = SimulatedBoard(instrument: TestInstrument.usb4x64(adcBits: 20),
                                       parameters: nil, periphery: Self.only { $0.wireOhmsPerCell = 1; $0.lineOhms = 20 }, seed: 23)
            try board.setConductances(tile: 0, siemens: [Double](repeating: siemens, count: 4096))
            let g = (0..<4096).map { board.trueConductance(tile: 0, row: $0 / 64, column: $0 % 64) }
            let effective = LineResistance(wireOhmsPerCell: 1, lineOhms: 20).effectiveConductances(g, rows: 64, columns: 64)
            let v = Double(board.instrument.dac.fullScaleVolts) / 127 * 100
            let out = try Self.multiply(board, [Double](repeating: v, count: 64))
            var measured = 0.0, ideal = 0.0, model = 0.0
            for j in 0..<64 {
                measured += out[j]
                for i in 0..<64 {
                    ideal += g[i * 64 + j] * v
                    model += effective[i * 64 + j] * v
                }
            }
            // Read noise averages to about 0.03 % over the 64 columns.
            #expect(abs(measured - model) < 0.005 * model)
            return 1 - measured / ideal
        }
        let low = try shortfall(20e-6), high = try shortfall(40e-6)
        #expect(low > 0.03)
        #expect(high / low > 1.8 && high / low < 2.2)
    }

    /// Reads cell (0, 0) of the passive tile with `k` of the other cells of its column at a
    /// high conductance and the rest low; returns the read current and the sum of the other
    /// cells' true conductances.
    static func passiveRead(scheme: BiasScheme, highCells k: Int) throws -> (amperes: Double, others: Double) {
        var instrument = TestInstrument.serial32x32()
        instrument.adc.bits = 16
        instrument.adc.readFullScaleAmperes = 100e-6
        instrument.defaultBiasScheme = scheme
        let board = SimulatedBoard(instrument: instrument, periphery: only { $0.halfSelectCurrentFraction = 0.15 }, seed: 24)
        var siemens = [Double](repeating: 2e-6, count: 1024)
        siemens[0] = 10e-6
        for r in 1...max(k, 1) where r <= k { siemens[r * 32] = 40e-6 }
        try board.setConductances(tile: 0, siemens: siemens)
        let amperes = try board.read(.list(tile: 0, [CellIndex(row: 0, column: 0)]), readVolts: 0.2, averages: 256).amperes[0]
        let others = (1..<32).reduce(0.0) { $0 + board.trueConductance(tile: 0, row: $1, column: 0) }
        return (Double(amperes), others)
    }

    @Test("sneak current grows with the number of half-selected low-resistance cells: under V/2 each adds 0.15 x V x its conductance (within 2 %)")
    func sneakGrowsWithHalfSelectedCells() throws {
        let (base, baseOthers) = try Self.passiveRead(scheme: .halfVoltage, highCells: 0)
        var previous = base
        for k in [8, 16, 31] {
            let (amperes, others) = try Self.passiveRead(scheme: .halfVoltage, highCells: k)
            let expected = 0.15 * 0.2 * (others - baseOthers)
            // Read noise of the selected cell averages to 0.1 % of 2 uA over 256 reads.
            #expect(abs((amperes - base) - expected) < 0.02 * expected, "\(k) high cells")
            #expect(amperes > previous)
            previous = amperes
        }
    }

    @Test("under V/3 a half-selected cell carries 3^-alpha of its full-V current, alpha = log2(1 / 0.15): 0.049 (within 2 %)")
    func sneakUnderThirdVoltage() throws {
        let (base, baseOthers) = try Self.passiveRead(scheme: .thirdVoltage, highCells: 0)
        let (amperes, others) = try Self.passiveRead(scheme: .thirdVoltage, highCells: 31)
        let ratio = (amperes - base) / (0.2 * (others - baseOthers))
        #expect(abs(ratio - 0.04937) < 0.02 * 0.04937)
    }

    @Test("a grounded scheme sees no sneak current: the read is the selected cell's within 0.5 %")
    func noSneakWithoutHalfSelection() throws {
        let (base, _) = try Self.passiveRead(scheme: .grounded, highCells: 0)
        let (amperes, _) = try Self.passiveRead(scheme: .grounded, highCells: 31)
        #expect(abs(amperes - base) < 0.005 * base)
    }

    @Test("the ideal periphery leaves reads and MVMs exactly as without one, bit for bit")
    func idealIsUnchanged() throws {
        let instrument = TestInstrument.usb4x64()
        var plain = instrument
        plain.periphery = .ideal
        let a = SimulatedBoard(instrument: plain, seed: 5)
        let b = SimulatedBoard(instrument: instrument, periphery: .ideal, seed: 5)
        let c = SimulatedBoard(instrument: instrument, seed: 5)
        var random = Xoshiro256StarStar(seed: 2)
        let siemens = (0..<4096).map { _ in 5e-6 + 90e-6 * random.nextOpenUnit() }
        for board in [a, b, c] { try board.setConductances(tile: 0, siemens: siemens) }
        let inputs = (0..<64).map { _ in 0.2 * random.nextOpenUnit() }
        #expect(try Self.multiply(a, inputs) == Self.multiply(b, inputs))
        // The shipped periphery does change the product.
        #expect(try Self.multiply(c, inputs) != Self.multiply(a, inputs))
    }
}
