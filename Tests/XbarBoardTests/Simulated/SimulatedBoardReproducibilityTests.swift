import Testing
import XbarBoard
import XbarWire

@Suite("Simulated board: reproducibility")
struct SimulatedBoardReproducibilityTests {
    /// A session touching every kind of randomness: d2d draws, c2c noise, read noise,
    /// relaxation, STM decay and read disturb, MVM column noise, a PLAY program.
    static func session(seed: UInt64) throws -> [Reply] {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: seed)
        var replies: [Reply] = []
        let batch = (0..<512).map { (k: Int) -> CellPulse in
            let volts: Float = k % 3 == 0 ? -2.2 : 1.9
            return CellPulse(cell: CellIndex(row: UInt16(k / 64), column: UInt16(k % 64)), amplitudeVolts: volts, widthSeconds: 1e-6)
        }
        replies.append(try board.perform(.pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.2), pulses: batch))))
        replies.append(try board.perform(.pulse(PulseCells(cells: .row(tile: 1, row: 5), amplitudeVolts: 2.4, widthSeconds: 1e-6, scheme: .grounded))))
        board.advanceTime(seconds: 3600)
        replies.append(try board.perform(.read(ReadCells(cells: .tile(0), readVolts: 0.2, averages: 4))))
        replies.append(try board.perform(.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                                  inputs: (0..<256).map { (k: Int) -> Float in Float(k % 7) * 0.04 - 0.12 }))))
        replies.append(try board.perform(.readTrain(ReadTrain(cells: .row(tile: TestInstrument.states, row: 0), pulse: TrainPulse(amplitudeVolts: 1.5, widthSeconds: 1e-6),
                                                              readVolts: 0.1, readCount: 20, intervalSeconds: 1e-3))))
        let actions = (0..<40).map { (k: Int) -> PlayAction in
            let operation: PlayOperation = k % 2 == 0 ? .pulse(amplitudeVolts: 1.4, widthSeconds: 1e-6) : .read(readVolts: 0.1)
            return PlayAction(offsetNanoseconds: UInt64(k) * 500_000, tile: TestInstrument.states, cell: CellIndex(row: 1, column: UInt16(k % 4)),
                              operation: operation)
        }
        replies.append(try board.perform(.playLoad(PlayLoad(programID: 7, chunkIndex: 0, chunkCount: 1, actions: actions))))
        replies.append(try board.perform(.playStart(programID: 7)))
        replies.append(try board.perform(.playFetch(PlayFetch(programID: 7, firstResult: 0, maxResults: 100))))
        replies.append(try board.perform(.status))
        return replies
    }

    @Test("the same seed reproduces a whole session bit for bit")
    func sameSeedSameReplies() throws {
        let first = try Self.session(seed: 2024)
        let second = try Self.session(seed: 2024)
        #expect(first == second)
    }

    @Test("different seeds give different results in every random operation")
    func differentSeedsDiffer() throws {
        let a = try Self.session(seed: 1)
        let b = try Self.session(seed: 2)
        // Pulse-batch verify, read, MVM, read train and PLAY results all differ.
        for k in [0, 2, 3, 4, 7] { #expect(a[k] != b[k], "reply \(k) should depend on the seed") }
    }

    @Test("looking at ground truth does not change what the board does next")
    func groundTruthDoesNotDisturb() throws {
        func run(peek: Bool) throws -> [Float] {
            let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 77)
            try board.pulse(.tile(0), amplitudeVolts: 1.8, widthSeconds: 1e-6, scheme: .grounded)
            for hours in [0.001, 0.01, 0.1, 1, 10] {
                board.advanceTime(seconds: hours * 3600)
                if peek { for r in 0..<64 { _ = board.trueConductance(tile: 0, row: r, column: r) } }
            }
            return try board.read(.tile(0), readVolts: 0.2).amperes
        }
        #expect(try run(peek: true) == run(peek: false))
    }
}
