import Testing
import XbarBoard
import XbarDevice
import XbarWire

/// These check the product itself, so they run on the ideal periphery; the array physics has
/// its own suite (SimulatedBoardArrayPhysicsTests).
@Suite("Simulated board: matrix-vector products")
struct SimulatedBoardMatrixVectorProductTests {
    /// A board whose tile 0 holds a spread of conductances, and inputs on the DAC's levels
    /// (so that the DAC passes them unchanged and the reference is the plain product).
    static func programmedBoard(adcBits: UInt8) throws -> (SimulatedBoard, [Float], Int) {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(adcBits: adcBits), periphery: .ideal, seed: 11)
        var seedGenerator = Xoshiro256StarStar(seed: 99)
        let targets = (0..<4096).map { _ in 5e-6 + 90e-6 * seedGenerator.nextOpenUnit() }
        try board.setConductances(tile: 0, siemens: targets)
        let step = Double(board.instrument.dac.fullScaleVolts) / 127
        let vectors = 64
        let inputs = (0..<(vectors * 64)).map { _ in Float(Double(Int(seedGenerator.next() % 255) - 127) * step) }
        return (board, inputs, vectors)
    }

    static func exact(_ board: SimulatedBoard, _ inputs: [Float], vector k: Int, column j: Int) -> (current: Double, sigma: Double) {
        var sum = 0.0, squares = 0.0
        for i in 0..<64 {
            let term = board.trueConductance(tile: 0, row: i, column: j) * Double(inputs[k * 64 + i])
            sum += term
            squares += term * term
        }
        return (sum, board.parameters.nonVolatile.readNoiseSpread * squares.squareRoot())
    }

    @Test("with the 8-bit ADC every column is within 5 sigma of read noise plus half an ADC step of the exact product")
    func eightBitWithinBounds() throws {
        let (board, inputs, vectors) = try Self.programmedBoard(adcBits: 8)
        let reply = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs))
        #expect(reply.amperes.count == vectors * 64)
        let halfStep = Double(board.instrument.adc.mvmFullScaleAmperes) / 127 / 2
        var worst = 0.0
        for k in 0..<vectors {
            for j in 0..<64 {
                let (current, sigma) = Self.exact(board, inputs, vector: k, column: j)
                // Float output adds a relative 6e-8: negligible against the bound.
                let excess = abs(Double(reply.amperes[k * 64 + j]) - current) / (5 * sigma + halfStep)
                worst = max(worst, excess)
            }
        }
        #expect(worst <= 1)
    }

    @Test("with a 20-bit ADC the residuals are read noise: mean 0 and standard deviation 1 in units of the column sigma")
    func residualsAreReadNoise() throws {
        let (board, inputs, vectors) = try Self.programmedBoard(adcBits: 20)
        let reply = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs))
        var z: [Double] = []
        for k in 0..<vectors {
            for j in 0..<64 {
                let (current, sigma) = Self.exact(board, inputs, vector: k, column: j)
                z.append((Double(reply.amperes[k * 64 + j]) - current) / sigma)
            }
        }
        let n = Double(z.count)
        let mean = z.reduce(0, +) / n
        let sd = (z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        // 4096 standard normals: the mean has standard error 1/64 (5 SE = 0.078), the standard
        // deviation 1/sqrt(2*4096) = 0.011 (5 SE = 0.055). The 20-bit step (1 nA) and Float
        // rounding are a few % of the smallest sigma here.
        #expect(abs(mean) < 0.078)
        #expect(abs(sd - 1) < 0.055)
    }

    @Test("pulse-width inputs give the mean column current over the longest width: G * V_read * w / w_max")
    func pulseWidthEncoding() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(adcBits: 20), periphery: .ideal, seed: 4)
        try board.setConductances(tile: 0, siemens: [Double](repeating: 50e-6, count: 4096))
        // Rows 0..31 at the longest width, the rest off: each column sums 32 cells at V_read.
        let widths = (0..<64).map { $0 < 32 ? Float(1e-6) : 0 }
        let reply = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .pulseWidth, readVolts: 0.2, inputLength: 64, inputs: widths))
        for j in 0..<64 {
            let expected = (0..<32).reduce(0.0) { $0 + board.trueConductance(tile: 0, row: $1, column: j) * 0.2 }
            // 5 sigma of the read noise on 32 similar cells: 5 * 1.5 % / sqrt(32) = 1.3 % of the sum.
            let sigma = board.parameters.nonVolatile.readNoiseSpread
            #expect(abs(Double(reply.amperes[j]) - expected) <= 5 * sigma / 32.0.squareRoot() * expected + 2e-9)
        }
    }

    @Test("inputs are quantised by the DAC: inputs within the same DAC step give the same product, one step apart differ by G*step")
    func inputsAreQuantised() throws {
        // No read noise and a 20-bit ADC, so that only the DAC's 8-bit steps show.
        let instrument = TestInstrument.usb4x64(adcBits: 20)
        var device = instrument.device
        device.nonVolatile.readNoiseSpread = 0
        let board = SimulatedBoard(instrument: instrument, parameters: device, periphery: .ideal, seed: 3)
        try board.setConductances(tile: 0, siemens: [Double](repeating: 50e-6, count: 4096))
        let step = Double(instrument.dac.fullScaleVolts) / 127
        func product(_ row0: Double) throws -> [Float] {
            var inputs = [Float](repeating: 0, count: 64)
            inputs[0] = Float(row0)
            return try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs)).amperes
        }
        let onLevel = try product(10 * step), nearLevel = try product(10.3 * step), nextLevel = try product(11 * step)
        #expect(onLevel == nearLevel)
        for j in 0..<64 {
            let g = board.trueConductance(tile: 0, row: 0, column: j)
            // One DAC step on one row moves the column by G * step, to within the 20-bit ADC step (1 nA).
            #expect(abs(Double(nextLevel[j] - onLevel[j]) - g * step) < 2e-9)
        }
    }
}
