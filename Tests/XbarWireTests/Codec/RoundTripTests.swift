import PropertyBased
import Testing
import XbarWire

@Suite("round trips")
struct RoundTripTests {
    static let requestOpcodes = Opcode.allCases.filter { !$0.isReply }
    static let replyOpcodes = Opcode.allCases.filter { $0.isReply }

    /// Sends `bytes` through a receiver in one chunk and returns the one frame it yields.
    static func receive(_ bytes: [UInt8]) -> Frame? {
        var receiver = FrameReceiver()
        receiver.append(bytes)
        guard case .success(let frame)? = receiver.next() else { return nil }
        return receiver.next() == nil ? frame : nil
    }

    @Test("every request decodes to itself after encoding, framing and receiving", arguments: requestOpcodes)
    func requests(opcode: Opcode) async {
        await propertyCheck(count: 60, input: WireSamples.requests(opcode), Gen.uint16(), Gen.bool) { request, sequence, retry in
            let bytes = WireCodec.encode(request, sequence: sequence, flags: retry ? .retry : [])
            #expect(bytes.last == 0)
            #expect(!bytes.dropLast().contains(0), "a stuffed frame holds no zero before its delimiter")
            let frame = try #require(Self.receive(bytes))
            #expect(frame.header == FrameHeader(flags: retry ? .retry : [], sequence: sequence, opcode: opcode))
            #expect(try WireCodec.decodeRequest(frame) == request)
        }
    }

    @Test("every reply decodes to itself after encoding, framing and receiving", arguments: replyOpcodes)
    func replies(opcode: Opcode) async {
        await propertyCheck(count: 60, input: WireSamples.replies(opcode), Gen.uint16()) { reply, sequence in
            let bytes = WireCodec.encode(reply, sequence: sequence)
            let frame = try #require(Self.receive(bytes))
            #expect(frame.header == FrameHeader(flags: .reply, sequence: sequence, opcode: opcode))
            #expect(try WireCodec.decodeReply(frame) == reply)
        }
    }

    @Test("the generated messages stay within the 64 KiB payload limit, up to near it")
    func sizes() async {
        var largest = 0
        await propertyCheck(count: 100, input: WireSamples.requests(.pulseBatch)) { request in
            let n = WireCodec.payloadByteCount(of: request)
            largest = max(largest, n)
            #expect(n <= FrameLayout.maxPayloadBytes)
        }
        await propertyCheck(count: 200, input: WireSamples.requests(.sweep)) { request in
            #expect(WireCodec.payloadByteCount(of: request) <= FrameLayout.maxPayloadBytes)
        }
        #expect(largest > FrameLayout.maxPayloadBytes / 2, "large batches must be among the samples")
    }

    @Test("NaN payloads keep their exact bit pattern")
    func nanBits() throws {
        let quiet = Float(bitPattern: 0x7FC0_0001)
        let signalling = Float(bitPattern: 0xFF80_0005)
        let reply = Reply.currents(Currents(boardTimeNanoseconds: 1, amperes: [quiet, signalling, -0.0]))
        let frame = try #require(Self.receive(WireCodec.encode(reply, sequence: 9)))
        guard case .currents(let c) = try WireCodec.decodeReply(frame) else {
            Issue.record("expected CURRENTS")
            return
        }
        #expect(c.amperes.map(\.bitPattern) == [0x7FC0_0001, 0xFF80_0005, 0x8000_0000])
    }

    @Test("a request never carries the reply flag, a reply always does")
    func replyFlag() throws {
        let request = try #require(Self.receive(WireCodec.encode(.status, sequence: 1, flags: [.reply, .retry])))
        #expect(request.header.flags == .retry)
        let reply = try #require(Self.receive(WireCodec.encode(Reply.done, sequence: 1)))
        #expect(reply.header.flags == .reply)
    }

    @Test("a fault message longer than 1024 bytes is cut at a character boundary")
    func longMessage() throws {
        let message = String(repeating: "é", count: 600)   // 1200 UTF-8 bytes
        let frame = try #require(Self.receive(WireCodec.encode(Reply.fault(BoardFault(code: .internalError, message: message)), sequence: 3)))
        guard case .fault(let f) = try WireCodec.decodeReply(frame) else {
            Issue.record("expected FAULT")
            return
        }
        #expect(f.message == String(repeating: "é", count: 512))
    }
}
