import Testing
import XbarBoard
import XbarWire

/// Every electrical limit, in every operation that carries it, is refused by name on the board
/// and on the host (before anything is sent), with the usb-4x64 limits: SET 3.0 V and RESET 3.3 V
/// (distinct, so that a polarity checked against the other's limit shows), read 0.5 V, MVM 0.3 V,
/// widths 50 ns to 10 µs, 200 µA compliance, 5 nJ, 256 averages, 4096 reads, 65 536 actions.
@Suite("every limit refused by name, on the board and on the host, in every operation that carries it")
struct LimitRefusalMatrixTests {
    static let weightCell = CellIndex(row: 1, column: 2)
    static let node = CellIndex(row: 0, column: 3)
    static let states = TestInstrument.states

    /// A pulse (volts, seconds) breaking each pulse limit, and one within every limit.
    static let badPulses: [(LimitID, Float, Float)] = [
        (.setVolts, 3.1, 1e-6),
        (.resetVolts, -3.4, 1e-6),
        (.minPulseWidth, 1.0, 10e-9),
        (.maxPulseWidth, 1.0, 20e-6),
        // 2.9 V x 200 uA x 9.9 us = 5.74 nJ and 3.2 V x 200 uA x 9 us = 5.76 nJ: above 5 nJ.
        (.pulseEnergy, 2.9, 9.9e-6),
        (.pulseEnergy, -3.2, 9e-6),
    ]
    static let goodPulse = (volts: Float(1.5), width: Float(1e-6))

    static var cases: [(String, Request, LimitID)] {
        var all: [(String, Request, LimitID)] = []
        for (limit, v, w) in badPulses {
            let what = "\(limit) (\(v) V, \(w) s)"
            all.append(("PULSE \(what)", .pulse(PulseCells(cells: .cell(tile: 0, weightCell), amplitudeVolts: v, widthSeconds: w, scheme: .grounded)), limit))
            all.append(("PULSE_BATCH \(what)", .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.2, averages: 4), pulses: [
                CellPulse(cell: CellIndex(row: 0, column: 0), amplitudeVolts: goodPulse.volts, widthSeconds: goodPulse.width),
                CellPulse(cell: weightCell, amplitudeVolts: v, widthSeconds: w)])), limit))
            all.append(("READ_TRAIN pulse \(what)", .readTrain(ReadTrain(cells: .cell(tile: states, node), pulse: TrainPulse(amplitudeVolts: v, widthSeconds: w),
                                                                         readVolts: 0.2, readCount: 4, intervalSeconds: 1e-4)), limit))
            all.append(("PLAY_LOAD pulse action \(what)", .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: [
                PlayAction(offsetNanoseconds: 0, tile: states, cell: node, operation: .read(readVolts: 0.2)),
                PlayAction(offsetNanoseconds: 1000, tile: states, cell: node, operation: .pulse(amplitudeVolts: v, widthSeconds: w))])), limit))
        }
        all += [
            ("READ readVolts", .read(ReadCells(cells: .cell(tile: 0, weightCell), readVolts: 0.6, averages: 1)), .readVolts),
            ("READ readAverages", .read(ReadCells(cells: .cell(tile: 0, weightCell), readVolts: 0.2, averages: 257)), .readAverages),
            ("PULSE_BATCH verify readVolts", .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.6, averages: 4), pulses: [
                CellPulse(cell: weightCell, amplitudeVolts: goodPulse.volts, widthSeconds: goodPulse.width)])), .readVolts),
            ("PULSE_BATCH verify averages", .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.2, averages: 257), pulses: [
                CellPulse(cell: weightCell, amplitudeVolts: goodPulse.volts, widthSeconds: goodPulse.width)])), .readAverages),
            ("READ_TRAIN readVolts", .readTrain(ReadTrain(cells: .cell(tile: states, node), pulse: nil, readVolts: 0.6, readCount: 4, intervalSeconds: 1e-4)), .readVolts),
            ("READ_TRAIN readTrainLength", .readTrain(ReadTrain(cells: .cell(tile: states, node), pulse: nil, readVolts: 0.2, readCount: 4097, intervalSeconds: 1e-6)), .readTrainLength),
            ("PLAY_LOAD read action readVolts", .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: [
                PlayAction(offsetNanoseconds: 0, tile: states, cell: node, operation: .read(readVolts: 0.6))])), .readVolts),
            ("MVM voltage mvmVolts", .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                              inputs: [Float](repeating: 0.1, count: 63) + [-0.31])), .mvmVolts),
            ("MVM pulse width readVolts", .mvm(MatrixVectorProduct(tile: 0, encoding: .pulseWidth, readVolts: 0.6, inputLength: 64,
                                                                   inputs: [Float](repeating: 1e-6, count: 64))), .readVolts),
            ("MVM pulse width maxPulseWidth", .mvm(MatrixVectorProduct(tile: 0, encoding: .pulseWidth, readVolts: 0.2, inputLength: 64,
                                                                       inputs: [Float](repeating: 1e-6, count: 63) + [20e-6])), .maxPulseWidth),
        ]
        return all
    }

    @Test("the board refuses it naming the limit and applies nothing", arguments: cases.indices)
    func board(index: Int) throws {
        let (name, request, limit) = Self.cases[index]
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 2)
        let before = try board.status()
        let fault = try #require(refusal(board, request), "\(name) was carried out")
        #expect(fault.code == .outOfLimits, "\(name)")
        #expect(fault.limit == limit, "\(name): refused as \(fault.limit)")
        #expect(board.pulsesApplied == 0, "\(name)")
        #expect(try board.status().programID == before.programID, "\(name) loaded a program")
    }

    @Test("the host refuses it naming the limit without sending a byte", arguments: cases.indices)
    func host(index: Int) throws {
        let (name, request, limit) = Self.cases[index]
        let instrument = TestInstrument.usb4x64()
        let served = ServedBoard(instrument: instrument)
        defer { served.shutDown() }
        let host = try RemoteBoard(transport: served.host, instrument: instrument, description: "link",
                                   policy: RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.5, attempts: 2))
        let sent = host.bytesSent
        let error = #expect(throws: BoardError.self, "\(name)") { _ = try host.perform(request) }
        let fault = try #require(error?.fault, "\(name): \(String(describing: error))")
        #expect(fault.code == .outOfLimits, "\(name)")
        #expect(fault.limit == limit, "\(name): refused as \(fault.limit)")
        #expect(host.bytesSent == sent, "\(name) was sent to the board")
    }

    @Test("a program of more actions than the limit is refused as programLength by the board")
    func programLength() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 2)
        let actions = (0..<65_537).map { PlayAction(offsetNanoseconds: UInt64($0) * 1000, tile: Self.states, cell: Self.node, operation: .read(readVolts: 0.2)) }
        let fault = try #require(refusal(board, .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: actions))))
        #expect(fault.limit == .programLength)
        #expect(fault.value == 65_537 && fault.limitValue == 65_536)
        let fits = Array(actions.prefix(65_536))
        #expect(refusal(board, .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: fits))) == nil)
    }

    @Test("pulses at every limit itself pass on the board: SET 3.0 V, RESET 3.3 V, 50 ns, 10 µs at 2.5 V (5 nJ)")
    func atTheLimits() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 2)
        for (v, w) in [(Float(3.0), Float(1e-6)), (-3.3, 1e-6), (1.0, 50e-9), (2.5, 10e-6), (-2.5, 10e-6)] {
            #expect(refusal(board, .pulse(PulseCells(cells: .cell(tile: 0, Self.weightCell), amplitudeVolts: v, widthSeconds: w, scheme: .grounded))) == nil,
                    "\(v) V, \(w) s")
        }
        #expect(board.pulsesApplied == 5)
    }
}
