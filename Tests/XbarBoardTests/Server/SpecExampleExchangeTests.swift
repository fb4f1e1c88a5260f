import Testing
import XbarBoard
import XbarTransport
import XbarWire

/// The specification's worked examples 9.3 (a reply echoed back to the board) and 9.8 (ABORT
/// during a READ_TRAIN), sent byte for byte to the board server and answered as the
/// specification shows.
@Suite("specification exchanges played against the board server")
struct SpecExampleExchangeTests {
    let instrument = TestInstrument.usb4x64()

    @Test("9.3: the echoed STATUS_REPORT draws the example's FAULT unknownOpcode, and 0x0100 then runs the example's PULSE_BATCH")
    func echoedStatusReply() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 8)
        var client = RawFrameClient(serving: board)
        defer { client.shutDown() }
        try client.link.write(try SpecificationBoardTests.exampleWireBytes("status-reply"), timeoutSeconds: 1)
        let fault = try #require(try client.nextFrame())
        #expect(fault.wireBytes() == (try SpecificationBoardTests.exampleWireBytes("looped-reply-fault")))

        try client.link.write(try SpecificationBoardTests.exampleWireBytes("pulse-batch-request"), timeoutSeconds: 1)
        let reply = try #require(try client.nextReply())
        #expect(reply.sequence == 0x0100)
        guard case .pulsed(let receipt) = reply.reply else { Issue.record("expected PULSED, got \(reply.reply)"); return }
        #expect(receipt.appliedCount == 3 && receipt.verifyAmperes.count == 3)
        #expect(board.pulsesApplied == 3)
    }

    @Test("9.8: the example's ABORT a quarter of a second into its 1 s train draws FAULT aborted for 0x0104, then the example's DONE")
    func abortDuringTrain() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 8, pacing: .realTime)
        var client = RawFrameClient(serving: board)
        defer { client.shutDown() }
        let started = ContinuousClock.now
        try client.link.write(try SpecificationBoardTests.exampleWireBytes("long-train-request"), timeoutSeconds: 1)
        #expect(try client.nextFrame(within: 0.25) == nil)
        try client.link.write(try SpecificationBoardTests.exampleWireBytes("abort-request"), timeoutSeconds: 1)
        let first = try #require(try client.nextReply(within: 1))
        #expect(first.sequence == 0x0104)
        guard case .fault(let fault) = first.reply else { Issue.record("expected FAULT aborted, got \(first.reply)"); return }
        #expect(fault.code == .aborted)
        #expect(fault.message.hasPrefix("READ_TRAIN stopped by ABORT after ") && fault.message.hasSuffix(" of 1000 reads"))
        let done = try #require(try client.nextFrame(within: 1))
        #expect(done.wireBytes() == (try SpecificationBoardTests.exampleWireBytes("abort-reply")))
        #expect(ContinuousClock.now - started < .seconds(0.9))
    }
}
