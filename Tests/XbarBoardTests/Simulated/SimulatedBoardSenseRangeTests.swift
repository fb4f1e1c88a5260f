import Testing
import XbarBoard
import XbarDevice
import XbarWire

/// Sense ranges on the simulated board, against its true conductances (ideal periphery, so the
/// range's own noise and steps are what differs from the exact product).
@Suite("Simulated board: sense ranges")
struct SimulatedBoardSenseRangeTests {
    /// Tile 0 with column j's cells at `(1.5 + 1.5 j)` µS on every row, and vectors driving
    /// rows 0 to 7 at the DAC's full scale (0.25 V): column j draws `8 x 0.25 V x G_j`, 3 µA
    /// to 192 µA across the tile.
    static func board() throws -> (SimulatedBoard, [Float]) {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), periphery: .ideal, seed: 5)
        let siemens = (0..<4096).map { k in 1.5e-6 * Double(1 + k % 64) }
        try board.setConductances(tile: 0, siemens: siemens)
        let volts = board.instrument.dac.fullScaleVolts
        let vector = (0..<64).map { $0 < 8 ? volts : Float(0) }
        return (board, Array((0..<4).map { _ in vector }.joined()))
    }

    static func exact(_ board: SimulatedBoard, column j: Int) -> Double {
        (0..<8).reduce(0.0) { $0 + board.trueConductance(tile: 0, row: $1, column: j) * Double(board.instrument.dac.fullScaleVolts) }
    }

    @Test("the board lists five ranges to an IDENTIFY that asks, none to a plain one")
    func identity() throws {
        let (board, _) = try Self.board()
        guard case .identity(let plain) = try board.perform(.identify) else { Issue.record("no identity"); return }
        #expect(plain.capabilities.contains(.senseRanges))
        #expect(plain.senseRanges == nil)
        let ranged = try board.identify()
        #expect(ranged.senseRanges?.map(\.fullScaleAmperes) == [1e-3, 250e-6, 64e-6, 16e-6, 4e-6])
    }

    @Test("in the 64 µA range, columns under 64 µA are measured to its step and those beyond come back flagged at full scale")
    func flagsAndSteps() throws {
        let (board, inputs) = try Self.board()
        let reply = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                      inputs: inputs, senseRange: 2))
        let flags = try #require(reply.saturated)
        #expect(flags.count == reply.amperes.count)
        let fullScale = 64e-6, step = fullScale / 127
        let sigma = 80e-9 + 0.015 * 3e-6
        var withinRange = 0, beyond = 0
        for k in 0..<reply.amperes.count {
            let exact = Self.exact(board, column: k % 64)
            let value = Double(reply.amperes[k])
            if exact > fullScale + 5 * sigma {
                beyond += 1
                #expect(flags[k], "column \(k % 64) draws \(exact) A, beyond the range, unflagged")
                #expect(reply.amperes[k] == Float(fullScale))
            } else if exact < fullScale - 5 * sigma - step {
                withinRange += 1
                #expect(!flags[k], "column \(k % 64) draws \(exact) A, within the range, flagged")
                // Half a step of rounding plus five sigma of the range's and the cells' read noise.
                #expect(abs(value - exact) <= step / 2 + 5 * (80e-9 + 0.015 * exact), "column \(k % 64): \(value) A for \(exact) A")
            }
        }
        // 1.5 µS steps of 3 µA: 20 columns below 64 µA, 43 above.
        #expect(withinRange == 4 * 20 && beyond == 4 * 43, "\(withinRange) within, \(beyond) beyond")
    }

    @Test("a small product is measured ten times finer in a range than at the ADC's own full scale")
    func finerThanDefault() throws {
        let (board, inputs) = try Self.board()
        let plain = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs))
        let ranged = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                       inputs: inputs, senseRange: 3))
        #expect(plain.saturated == nil)
        var plainSquares = 0.0, rangedSquares = 0.0, n = 0
        for k in 0..<plain.amperes.count where Self.exact(board, column: k % 64) < 14e-6 {
            let exact = Self.exact(board, column: k % 64)
            plainSquares += (Double(plain.amperes[k]) - exact) * (Double(plain.amperes[k]) - exact)
            rangedSquares += (Double(ranged.amperes[k]) - exact) * (Double(ranged.amperes[k]) - exact)
            #expect(ranged.saturated?[k] == false)
            n += 1
        }
        #expect(n == 4 * 4)
        #expect(rangedSquares * 100 < plainSquares, "rms \((rangedSquares / Double(n)).squareRoot()) A in range, \((plainSquares / Double(n)).squareRoot()) A without")
    }

    @Test("a READ beyond its range is flagged at full scale; the next range up reads it unflagged")
    func readFlags() throws {
        let (board, _) = try Self.board()
        // Column 63: 96 µS at 0.2 V draws 19.2 µA.
        let cell = CellSet.cell(tile: 0, CellIndex(row: 0, column: 63))
        let small = try board.read(cell, readVolts: 0.2, senseRange: 3)
        #expect(small.saturated == [true])
        #expect(small.amperes == [16e-6])
        let large = try board.read(cell, readVolts: 0.2, averages: 4, senseRange: 2)
        #expect(large.saturated == [false])
        #expect(abs(Double(large.amperes[0]) - 19.2e-6) < 0.05 * 19.2e-6)
        #expect(try board.read(cell, readVolts: 0.2).saturated == nil)
    }

    @Test("a range the board does not have is refused as a bad argument naming its ranges, and nothing is converted")
    func unknownRange() throws {
        let (board, inputs) = try Self.board()
        let before = board.boardTimeNanoseconds
        let error = #expect(throws: BoardError.self) {
            try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64, inputs: inputs, senseRange: 5))
        }
        guard case .fault(let fault)? = error else { Issue.record("expected a fault, got \(String(describing: error))"); return }
        #expect(fault.code == .badArgument)
        #expect(fault.message.contains("sense range 5") && fault.message.contains("ranges 0 to 4"))
        #expect(board.boardTimeNanoseconds == before)
    }
}
