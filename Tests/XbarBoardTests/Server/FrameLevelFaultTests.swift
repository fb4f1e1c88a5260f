import Testing
import XbarBoard
import XbarWire

/// Section 4.2 and 5 of the specification: a frame that is no request is answered with a
/// frame-level FAULT that is not cached, so its sequence number stays free.
@Suite("board server: frame-level faults are not cached")
struct FrameLevelFaultTests {
    let instrument = TestInstrument.usb4x64()
    let pulse = Request.pulse(PulseCells(cells: .cell(tile: 0, CellIndex(row: 1, column: 2)),
                                         amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded))

    @Test("a looped-back reply frame gets FAULT unknownOpcode, and the request sent next under its number runs")
    func loopedBackReply() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 3)
        var client = RawFrameClient(serving: board)
        defer { client.shutDown() }
        // The board's own DONE reply, as an echoing link would hand it back.
        try client.send(WireCodec.frame(.done, sequence: 7))
        let refusal = try #require(try client.nextReply())
        #expect(refusal.sequence == 7)
        guard case .fault(let fault) = refusal.reply else { Issue.record("expected a FAULT, got \(refusal.reply)"); return }
        #expect(fault.code == .unknownOpcode)

        try client.send(pulse, sequence: 7)
        let answer = try #require(try client.nextReply())
        #expect(answer.sequence == 7)
        guard case .pulsed(let receipt) = answer.reply else { Issue.record("expected PULSED, got \(answer.reply)"); return }
        #expect(receipt.appliedCount == 1)
        #expect(board.pulsesApplied == 1)
    }

    @Test("a request opcode with the reply flag gets a FAULT that is not cached")
    func requestWithReplyFlag() throws {
        let board = SimulatedBoard(instrument: instrument, seed: 3)
        var client = RawFrameClient(serving: board)
        defer { client.shutDown() }
        var frame = WireCodec.frame(pulse, sequence: 9)
        frame.header.flags = .reply
        try client.send(frame)
        let refusal = try #require(try client.nextReply())
        guard case .fault(let fault) = refusal.reply else { Issue.record("expected a FAULT, got \(refusal.reply)"); return }
        #expect(fault.code == .unknownOpcode)
        #expect(board.pulsesApplied == 0)

        try client.send(pulse, sequence: 9)
        guard case .pulsed? = try client.nextReply()?.reply else { Issue.record("the request under 9 did not run"); return }
        #expect(board.pulsesApplied == 1)
    }
}
