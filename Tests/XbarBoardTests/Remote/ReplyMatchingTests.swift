import Foundation
import Testing
import XbarBoard
import XbarTransport
import XbarWire

/// Section 4.1: a reply answers the outstanding request only if it carries the request's
/// sequence number and its reply opcode (or FAULT); any other frame is a late duplicate and
/// is discarded.
@Suite("remote board: replies matched to their request")
struct ReplyMatchingTests {
    let instrument = TestInstrument.usb4x64()

    /// A board that answers STATUS and IDENTIFY truthfully and every other request with the
    /// frames `answer` makes from its sequence number, in that order.
    static func scriptedBoard(_ end: InMemoryTransport, board: SimulatedBoard,
                              answer: @escaping @Sendable (UInt16) -> [Frame]) {
        nonisolated(unsafe) let board = board
        Thread.detachNewThread {
            var receiver = FrameReceiver()
            while true {
                guard let bytes = try? end.read(upTo: 65536, timeoutSeconds: 5) else { return }
                receiver.append(bytes)
                while case .success(let frame)? = receiver.next() {
                    let sequence = frame.header.sequence
                    var frames: [Frame]
                    switch frame.header.opcode {
                    case .status, .identify:
                        guard let request = try? WireCodec.decodeRequest(frame), let reply = try? board.perform(request) else { return }
                        frames = [WireCodec.frame(reply, sequence: sequence)]
                    default:
                        frames = answer(sequence)
                    }
                    for f in frames { try? end.write(f.wireBytes(), timeoutSeconds: 1) }
                }
            }
        }
    }

    static func pulsed(_ applied: UInt32) -> Reply {
        .pulsed(PulseReceipt(boardTimeNanoseconds: 1000, appliedCount: applied, complianceHits: 0, verifyAmperes: []))
    }

    @Test("a PULSED under another sequence number, and a reply of the wrong kind under the right one, are discarded")
    func mismatchedRepliesDiscarded() throws {
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        defer { hostEnd.close() }
        Self.scriptedBoard(boardEnd, board: SimulatedBoard(instrument: instrument, seed: 1)) { sequence in
            [
                WireCodec.frame(Self.pulsed(99), sequence: sequence &- 1),
                WireCodec.frame(Self.pulsed(98), sequence: sequence &+ 1),
                WireCodec.frame(.currents(Currents(boardTimeNanoseconds: 1, amperes: [1e-6])), sequence: sequence),
                WireCodec.frame(.done, sequence: sequence),
                WireCodec.frame(Self.pulsed(1), sequence: sequence),
            ]
        }
        let host = try RemoteBoard(transport: hostEnd, instrument: instrument, description: "scripted",
                                   policy: RemoteBoard.RetryPolicy(replyTimeoutSeconds: 1, attempts: 1))
        let receipt = try host.pulse(.cell(tile: 0, CellIndex(row: 0, column: 0)), amplitudeVolts: 1.5, widthSeconds: 1e-6, scheme: .grounded)
        #expect(receipt.appliedCount == 1)
        #expect(host.retryCount == 0)
    }

    @Test("when only replies to other sequence numbers come, the request times out instead of taking one")
    func onlyStrangersTimeOut() throws {
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        defer { hostEnd.close() }
        Self.scriptedBoard(boardEnd, board: SimulatedBoard(instrument: instrument, seed: 1)) { sequence in
            [WireCodec.frame(Self.pulsed(7), sequence: sequence &+ 100)]
        }
        let host = try RemoteBoard(transport: hostEnd, instrument: instrument, description: "scripted",
                                   policy: RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.2, attempts: 2))
        let error = #expect(throws: BoardError.self) {
            _ = try host.pulse(.cell(tile: 0, CellIndex(row: 0, column: 0)), amplitudeVolts: 1.5, widthSeconds: 1e-6, scheme: .grounded)
        }
        guard case .timeout(_, _, let attempts)? = error else { Issue.record("expected a timeout, got \(String(describing: error))"); return }
        #expect(attempts == 2)
    }
}
