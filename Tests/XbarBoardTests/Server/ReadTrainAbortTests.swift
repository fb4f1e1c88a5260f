import Testing
import XbarBoard
import XbarWire

/// Sections 4.1, 8.7 and 8.10 of the specification: ABORT stops a READ_TRAIN in progress, which
/// is then answered with FAULT aborted; the ABORT itself is answered with DONE.
@Suite("READ_TRAIN stopped by ABORT")
struct ReadTrainAbortTests {
    let instrument = TestInstrument.usb4x64()
    let node = CellSet.cell(tile: TestInstrument.states, CellIndex(row: 0, column: 0))

    @Test("a board asked to stop before its third read ends the train with FAULT aborted after two reads")
    func stopBetweenReads() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 5)
        let train = Request.readTrain(ReadTrain(cells: node, pulse: TrainPulse(amplitudeVolts: 1.0, widthSeconds: 1e-6),
                                                readVolts: 0.2, readCount: 10, intervalSeconds: 1e-3))
        var asked = 0
        let error = #expect(throws: BoardError.self) {
            _ = try board.perform(train) { _ in asked += 1; return asked == 3 }
        }
        let fault = try #require(error?.fault)
        #expect(fault.code == .aborted)
        #expect(fault.message.contains("after 2 of 10 reads"))
        #expect(asked == 3)
        // The train's pulse came before the stop and was applied.
        #expect(board.pulsesApplied == 1)
        #expect(try board.status().state == .idle)
    }

    @Test("over the link, ABORT sent 0.2 s into a 3 s train stops it: FAULT aborted, then DONE, both within 1 s")
    func abortOverTheLink() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 5, pacing: .realTime)
        var client = RawFrameClient(serving: board)
        defer { client.shutDown() }
        let train = Request.readTrain(ReadTrain(cells: node, pulse: nil, readVolts: 0.2, readCount: 300, intervalSeconds: 0.01))
        let started = ContinuousClock.now
        try client.send(train, sequence: 40)
        #expect(try client.nextFrame(within: 0.2) == nil, "the train answered before it could have ended")
        try client.send(.abort, sequence: 41)
        let first = try #require(try client.nextReply(within: 1))
        let second = try #require(try client.nextReply(within: 1))
        #expect(ContinuousClock.now - started < .seconds(1.5))
        #expect(first.sequence == 40)
        guard case .fault(let fault) = first.reply else { Issue.record("expected FAULT aborted, got \(first.reply)"); return }
        #expect(fault.code == .aborted)
        #expect(second.sequence == 41)
        #expect(second.reply == .done)

        // The stopped train's FAULT is its cached reply: a retry does not run it again.
        try client.send(train, sequence: 40, flags: .retry)
        let retried = try #require(try client.nextReply(within: 1))
        #expect(retried.sequence == 40)
        #expect(retried.reply == first.reply)
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
