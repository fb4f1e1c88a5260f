import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarWire

@Suite("Simulated board: read trains, STM decay and PLAY programs")
struct SimulatedBoardTimedTests {
    @Test("the decay constant fitted from a READ_TRAIN after a pulse is each STM node's drawn tau within 2 %")
    func decayFitRecoversTau() throws {
        // The decay alone: slow component off, and no read disturb (tested with the cell model).
        let instrument = TestInstrument.usb4x64(adcBits: 12)
        var device = instrument.device
        device.shortTermMemory.slowFraction = 0
        device.shortTermMemory.readDisturbFraction = 0
        // A 12-bit ADC puts quantisation (0.05 uS at 0.2 V) well below the read noise (1.5 % of G).
        let board = SimulatedBoard(instrument: instrument, parameters: device, seed: 21)
        let interval = 0.2e-3, count = 200
        let train = try board.readTrain(ReadTrain(cells: .row(tile: TestInstrument.states, row: 0),
                                                  pulse: TrainPulse(amplitudeVolts: 2.5, widthSeconds: 5e-6),
                                                  readVolts: 0.2, readCount: UInt16(count), intervalSeconds: Float(interval)))
        #expect(train.timestampsNanoseconds.count == count)
        let times = train.timestampsNanoseconds.map { Double($0) * 1e-9 }
        for k in 1..<times.count {
            // Reads are spaced by exactly the interval on the board clock (to the nanosecond).
            #expect(abs(times[k] - times[k - 1] - interval) < 1.5e-9)
        }
        for c in 0..<64 {
            let drawn = try #require(board.cellParameters(tile: TestInstrument.states, row: 0, column: c).shortTermMemory)
            let y = (0..<count).map { Double(train.amperes[$0 * 64 + c]) / 0.2 - drawn.baseSiemens }
            // The pulse fills each node to near its ceiling (about 20 uS over a 2 uS base). Fit
            // the part above 30 % of the first value (about 1.2 tau, around 100 reads): there
            // 1.5 % read noise of G is at most about 2 % of y, which leaves about 0.5 % scatter
            // in the fitted tau; 2 % is four times that (64 nodes are checked).
            let points = (0..<count).filter { y[$0] > 0.3 * y[0] }
            let xs = points.map { times[$0] }, ls = points.map { log(y[$0]) }
            let n = Double(points.count)
            let mx = xs.reduce(0, +) / n, ml = ls.reduce(0, +) / n
            let slope = zip(xs, ls).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - ml) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
            let tau = -1 / slope
            #expect(points.count > 60)
            #expect(abs(tau / drawn.tauSeconds - 1) < 0.02, "node \(c): fitted \(tau) s, drawn \(drawn.tauSeconds) s")
        }
    }

    static func program(reads: Int) -> [PlayAction] {
        var actions: [PlayAction] = []
        for k in 0..<reads {
            let t = UInt64(k) * 1_000_000
            actions.append(PlayAction(offsetNanoseconds: t, tile: TestInstrument.states, cell: CellIndex(row: 2, column: 3),
                                      operation: .pulse(amplitudeVolts: 1.5, widthSeconds: 1e-6)))
            actions.append(PlayAction(offsetNanoseconds: t + 500_000, tile: TestInstrument.states, cell: CellIndex(row: 2, column: 3),
                                      operation: .read(readVolts: 0.1)))
        }
        return actions
    }

    @Test("PLAY runs a program in board time: reads at their offsets, results fetched in chunks with board timestamps")
    func playRunsInBoardTime() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 9)
        let actions = Self.program(reads: 5000)
        let half = actions.count / 2
        _ = try board.perform(.playLoad(PlayLoad(programID: 4, chunkIndex: 0, chunkCount: 2, actions: Array(actions[..<half]))))
        let loaded = try board.perform(.playLoad(PlayLoad(programID: 4, chunkIndex: 1, chunkCount: 2, actions: Array(actions[half...]))))
        #expect(loaded == .playLoaded(programID: 4, chunksReceived: 2))
        let before = board.pulsesApplied
        guard case .playStarted(let started) = try board.perform(.playStart(programID: 4)) else {
            Issue.record("PLAY_START did not answer playStarted")
            return
        }
        #expect(started.resultCount == 5000 && started.actionCount == 10000)
        #expect(board.pulsesApplied == before + 5000)
        var results: [PlayResult] = []
        var complete = false
        while !complete {
            guard case .playData(let data) = try board.perform(.playFetch(PlayFetch(programID: 4, firstResult: UInt32(results.count), maxResults: .max))) else {
                Issue.record("PLAY_FETCH did not answer playData")
                return
            }
            #expect(data.results.count <= SimulatedBoard.maxPlayResultsPerFetch)
            results += data.results
            complete = data.complete
        }
        #expect(results.count == 5000)
        for (k, r) in results.enumerated() {
            #expect(r.actionIndex == UInt32(2 * k + 1))
            // Each read lands exactly at its offset: the preceding pulse ended 499 us earlier.
            #expect(r.timestampNanoseconds == started.startNanoseconds + UInt64(k) * 1_000_000 + 500_000)
        }
        // Pulses every millisecond against tau about 20 ms: the node charges up, so later reads
        // are higher than the first.
        #expect(results[50].amperes > results[0].amperes)
    }

    @Test("PLAY_LOAD chunks out of order, a start of an unknown or incomplete program, and too long programs are refused")
    func playRefusals() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 9)
        let actions = Self.program(reads: 4)
        #expect(refusal(board, .playLoad(PlayLoad(programID: 1, chunkIndex: 1, chunkCount: 2, actions: actions)))?.code == .badArgument)
        _ = try board.perform(.playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 3, actions: actions)))
        #expect(refusal(board, .playLoad(PlayLoad(programID: 1, chunkIndex: 2, chunkCount: 3, actions: actions)))?.code == .badArgument)
        #expect(refusal(board, .playStart(programID: 1))?.code == .badArgument)
        #expect(refusal(board, .playStart(programID: 2))?.code == .badArgument)
        let backwards = [PlayAction(offsetNanoseconds: 0, tile: TestInstrument.states, cell: CellIndex(row: 0, column: 0), operation: .read(readVolts: 0.1))]
        #expect(refusal(board, .playLoad(PlayLoad(programID: 1, chunkIndex: 1, chunkCount: 3, actions: backwards)))?.code == .badArgument)
        let outside = [PlayAction(offsetNanoseconds: 1, tile: TestInstrument.states, cell: CellIndex(row: 4, column: 0), operation: .read(readVolts: 0.1))]
        #expect(refusal(board, .playLoad(PlayLoad(programID: 5, chunkIndex: 0, chunkCount: 1, actions: outside)))?.code == .badArgument)
        var small = TestInstrument.usb4x64()
        small.limits.maxProgramActions = 6
        let limited = SimulatedBoard(instrument: small, seed: 1)
        let tooLong = refusal(limited, .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: actions)))
        #expect(tooLong?.code == .outOfLimits && tooLong?.limit == .programLength)
        #expect(board.pulsesApplied == 0 && limited.pulsesApplied == 0)
    }

    @Test("uploading a new program replaces the loaded one and its results")
    func newUploadReplacesProgram() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 9)
        _ = try board.perform(.playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: Self.program(reads: 3))))
        _ = try board.perform(.playStart(programID: 1))
        #expect(refusal(board, .playFetch(PlayFetch(programID: 1, firstResult: 0, maxResults: 10))) == nil)
        _ = try board.perform(.playLoad(PlayLoad(programID: 2, chunkIndex: 0, chunkCount: 1, actions: Self.program(reads: 2))))
        #expect(refusal(board, .playStart(programID: 1))?.code == .badArgument)
        #expect(refusal(board, .playFetch(PlayFetch(programID: 1, firstResult: 0, maxResults: 10)))?.code == .badArgument)
        #expect(try board.status().programID == 2)
    }

    @Test("RESET restarts board time and drops programs but keeps non-volatile conductances")
    func resetKeepsConductances() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 12)
        try board.pulse(.row(tile: 0, row: 0), amplitudeVolts: 2, widthSeconds: 1e-6, scheme: .grounded)
        _ = try board.perform(.playLoad(PlayLoad(programID: 3, chunkIndex: 0, chunkCount: 1, actions: Self.program(reads: 2))))
        let g = (0..<64).map { board.trueConductance(tile: 0, row: 0, column: $0) }
        try board.reset()
        #expect(board.boardTimeNanoseconds < 10_000)
        #expect((0..<64).map { board.trueConductance(tile: 0, row: 0, column: $0) } == g)
        #expect(refusal(board, .playStart(programID: 3))?.code == .badArgument)
        #expect(try board.status().pulsesApplied == 64)
    }

    @Test("real-time pacing keeps board time with wall time and answers a running program's fetch progressively")
    func realTimePacing() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 9, pacing: .realTime)
        let start = ContinuousClock.now
        _ = try board.perform(.readTrain(ReadTrain(cells: .cell(tile: TestInstrument.states, CellIndex(row: 0, column: 0)), pulse: nil,
                                                   readVolts: 0.1, readCount: 20, intervalSeconds: 5e-3)))
        // 20 reads 5 ms apart: the reply cannot come before 100 ms of wall time.
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        _ = try board.perform(.playLoad(PlayLoad(programID: 2, chunkIndex: 0, chunkCount: 1, actions: Self.program(reads: 100))))
        _ = try board.perform(.playStart(programID: 2))
        #expect(try board.status().state == .playing)
        #expect(refusal(board, .pulse(PulseCells(cells: .tile(0), amplitudeVolts: 2, widthSeconds: 1e-6, scheme: .grounded)))?.code == .busy)
        guard case .playData(let early) = try board.perform(.playFetch(PlayFetch(programID: 2, firstResult: 0, maxResults: 1000))) else {
            Issue.record("PLAY_FETCH did not answer playData")
            return
        }
        #expect(!early.complete && early.results.count < 100)
        Thread.sleep(forTimeInterval: 0.12)
        guard case .playData(let late) = try board.perform(.playFetch(PlayFetch(programID: 2, firstResult: 0, maxResults: 1000))) else {
            Issue.record("PLAY_FETCH did not answer playData")
            return
        }
        #expect(late.complete && late.results.count == 100)
        #expect(try board.status().state == .idle)
    }
}
