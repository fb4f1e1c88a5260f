import Testing
import XbarWire

/// Section 3.4: a payload of exactly 65 536 bytes is a valid frame; one byte more is refused as
/// oversized (FAULT badLength) with its sequence number; a receiver's limit on stuffed bytes
/// holds to the byte.
@Suite("frame size limits, to the byte")
struct FrameSizeLimitTests {
    static func frame(payloadBytes: Int, fill: UInt8 = 0xA5) -> Frame {
        Frame(header: FrameHeader(flags: [], sequence: 77, opcode: .mvm), payload: [UInt8](repeating: fill, count: payloadBytes))
    }

    @Test("the largest frame (65 536 payload bytes, 65 808 stuffed at worst) is received whole")
    func largestFrameAccepted() throws {
        #expect(FrameLayout.maxPayloadBytes == 65_536)
        #expect(FrameLayout.unstuffedFrameBytes(payloadBytes: 65_536) == 65_549)
        #expect(FrameLayout.stuffedFrameBytes(payloadBytes: 65_536) == 65_808)
        for fill: UInt8 in [0xA5, 0x00] {
            let frame = Self.frame(payloadBytes: 65_536, fill: fill)
            let wire = frame.wireBytes()
            #expect(wire.count - 1 <= FrameLayout.stuffedFrameBytes(payloadBytes: 65_536))
            var receiver = FrameReceiver()
            receiver.append(wire)
            let received = try #require(try receiver.next()?.get())
            #expect(received == frame)
            #expect(try Frame(unstuffed: frame.unstuffedBytes()) == frame)
        }
    }

    @Test("a payload of 65 537 bytes is refused as oversized with its sequence number, by frame and by receiver")
    func oneByteMoreRefused() throws {
        let frame = Self.frame(payloadBytes: 65_537)
        do {
            _ = try Frame(unstuffed: frame.unstuffedBytes())
            Issue.record("a 65 537-byte payload was accepted")
        } catch {
            #expect(error.kind == .oversized)
            #expect(error.faultCode == .badLength)
            #expect(error.sequence == 77)
        }
        var receiver = FrameReceiver()
        receiver.append(frame.wireBytes())
        guard case .failure(let error)? = receiver.next() else { Issue.record("the receiver accepted it"); return }
        #expect(error.faultCode == .badLength)
        #expect(error.sequence == 77)
    }

    @Test("a receiver takes a stuffed frame of exactly its limit and refuses one byte over, then finds the next frame")
    func receiverLimitToTheByte() throws {
        let frame = Self.frame(payloadBytes: 1000)
        let wire = frame.wireBytes()
        let stuffed = wire.count - 1
        var exact = FrameReceiver(maxFrameBytes: stuffed)
        exact.append(wire)
        #expect(try exact.next()?.get() == frame)

        var tight = FrameReceiver(maxFrameBytes: stuffed - 1)
        tight.append(wire + Self.frame(payloadBytes: 10).wireBytes())
        guard case .failure(let error)? = tight.next() else { Issue.record("a frame over the limit was accepted"); return }
        #expect(error.kind == .oversized)
        #expect(try tight.next()?.get() == Self.frame(payloadBytes: 10))
    }
}
