import Testing
import XbarWire

@Suite("decoding errors")
struct WireErrorTests {
    static func error(_ frame: Frame) -> WireError? {
        do {
            _ = frame.header.opcode.isReply ? try WireCodec.decodeReply(frame).opcode : try WireCodec.decodeRequest(frame).opcode
            return nil
        } catch {
            return error
        }
    }

    @Test("an undefined bias scheme is named with its offset and answered with badArgument")
    func badScheme() throws {
        var frame = WireCodec.frame(SpecExamples.tooHighPulse, sequence: 42)
        frame.payload[8] = 7   // after amplitude (4) and width (4)
        let e = try #require(Self.error(frame))
        #expect(e.kind == .badField("PULSE.scheme"))
        #expect(e.offset == FrameLayout.headerBytes + 8)
        #expect(e.sequence == 42)
        #expect(e.faultCode == .badArgument)
        #expect(e.description == "PULSE.scheme at byte 17 of frame 42: 7 is not a defined BiasScheme value")
    }

    @Test("a pulse count larger than the payload is refused before anything is allocated")
    func countBeyondPayload() throws {
        var frame = WireCodec.frame(SpecExamples.pulseBatch, sequence: 1)
        frame.payload[9] = 0xFF   // pulses.count low byte: 0x00FF pulses in a 48-byte payload
        let e = try #require(Self.error(frame))
        #expect(e.kind == .truncated)
        #expect(e.field == "PULSE_BATCH.pulses.count")
        #expect(e.offset == FrameLayout.headerBytes + 9)
    }

    @Test("bytes after the last field are refused as trailing bytes")
    func trailing() throws {
        var frame = WireCodec.frame(.playStart(programID: 3), sequence: 1)
        frame.payload += [0, 0]
        let e = try #require(Self.error(frame))
        #expect(e.kind == .trailingBytes(2))
        #expect(e.offset == FrameLayout.headerBytes + 2)
        #expect(e.faultCode == .badLength)
    }

    @Test("a FAULT message that is not UTF-8 is refused naming the message field")
    func badUTF8() throws {
        var frame = WireCodec.frame(Reply.fault(BoardFault(code: .busy, message: "ab")), sequence: 5)
        frame.payload[frame.payload.count - 1] = 0xFF
        let e = try #require(Self.error(frame))
        #expect(e.kind == .badField("FAULT.message"))
    }

    @Test("a verify read that is absent must be all zeros")
    func absentVerify() throws {
        let request = Request.pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: []))
        var frame = WireCodec.frame(request, sequence: 1)
        frame.payload[4] = 1
        #expect(Self.error(frame)?.kind == .badField("PULSE_BATCH.verify"))
    }

    @Test("verify groups must cover the batch's pulses, name their own averages, and follow a verify read")
    func verifyGroups() throws {
        // Groups of 2 + 1 pulses for the example's three: as sent, decoded as sent.
        let frame = WireCodec.frame(SpecExamples.rangedVerifyBatch, sequence: 1)
        #expect(try WireCodec.decodeRequest(frame) == SpecExamples.rangedVerifyBatch)
        let groupsAt = frame.payload.count - 2 - 2 * 5
        #expect(frame.payload[groupsAt] == 2 && frame.payload[groupsAt + 1] == 0, "two groups after the pulses")

        // The first group made 3 pulses: 4 in all against the batch's 3.
        var over = frame
        over.payload[groupsAt + 2] = 3
        let e = try #require(Self.error(over))
        #expect(e.kind == .badField("PULSE_BATCH.verifyGroups.count"))
        #expect(e.faultCode == .badArgument)
        #expect(e.description.contains("the groups hold 4 pulses, the batch has 3"))

        // A group of no pulses.
        var empty = frame
        empty.payload[groupsAt + 2] = 0
        #expect(Self.error(empty)?.kind == .badField("PULSE_BATCH.verifyGroups[0].pulses"))

        // Averages in the header and in the groups: refused, naming the header's field.
        var both = frame
        both.payload[7] = 4
        let header = try #require(Self.error(both))
        #expect(header.kind == .badField("PULSE_BATCH.verify.averages"))
        #expect(header.offset == FrameLayout.headerBytes + 7)

        // Groups after a batch without verify read: a version-1 layout with trailing bytes.
        let unverified = Request.pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: []))
        var trailing = WireCodec.frame(unverified, sequence: 1)
        trailing.payload += [0, 0]
        let t = try #require(Self.error(trailing))
        #expect(t.kind == .trailingBytes(2))
        #expect(t.faultCode == .badLength)
    }

    @Test("MVM inputs that are not whole vectors are refused")
    func partialVector() throws {
        let request = Request.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 4, inputs: [1, 2, 3, 4, 5]))
        let e = try #require(Self.error(WireCodec.frame(request, sequence: 1)))
        #expect(e.kind == .badField("MVM.inputs.count"))
    }

    @Test("a reply opcode in a request frame and the reverse are refused as unexpected")
    func directions() throws {
        let reply = WireCodec.frame(Reply.done, sequence: 8)
        #expect(throws: WireError.self) { try WireCodec.decodeRequest(reply) }
        do {
            _ = try WireCodec.decodeRequest(reply)
        } catch {
            #expect(error.kind == .unexpectedOpcode(.done))
            #expect(error.faultCode == .unknownOpcode)
        }
        do {
            _ = try WireCodec.decodeReply(WireCodec.frame(.reset, sequence: 8))
            Issue.record("a RESET decoded as a reply")
        } catch {
            #expect(error.kind == .unexpectedOpcode(.reset))
        }
    }

    /// Builds an unstuffed frame with a correct CRC from header fields and payload.
    static func unstuffed(version: UInt8 = 1, flags: UInt8 = 0, sequence: UInt16, opcode: UInt8, payload: [UInt8] = [], length: Int? = nil) -> [UInt8] {
        let n = UInt32(length ?? payload.count)
        var bytes: [UInt8] = [version, flags, UInt8(sequence & 0xFF), UInt8(sequence >> 8), opcode,
                              UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + payload
        let crc = CRC32C.checksum(bytes)
        bytes += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        return bytes
    }

    @Test("header errors carry the sequence number and the FAULT code a board answers with", arguments: [
        (unstuffed(version: 2, sequence: 300, opcode: 1), WireError.Kind.badVersion(2), FaultCode.badVersion, 0),
        (unstuffed(sequence: 300, opcode: 0x42), .unknownOpcode(0x42), .unknownOpcode, 4),
        (unstuffed(flags: 0x04, sequence: 300, opcode: 1), .badField("flags"), .badArgument, 1),
        (unstuffed(flags: 0x01, sequence: 300, opcode: 1), .unexpectedOpcode(.identify), .unknownOpcode, 4),
        (unstuffed(flags: 0x00, sequence: 300, opcode: 0x89), .unexpectedOpcode(.done), .unknownOpcode, 4),
        (unstuffed(sequence: 300, opcode: 1, payload: [1, 2], length: 3), .truncated, .badLength, 5),
        (unstuffed(sequence: 300, opcode: 1, payload: [1, 2], length: 1), .trailingBytes(1), .badLength, 5),
        (Array(unstuffed(sequence: 300, opcode: 1).dropLast()) + [0x77], .badCRC, .badCRC, 9),
        (Array(unstuffed(sequence: 300, opcode: 1).prefix(8)), .truncated, .badLength, 8),
    ] as [([UInt8], WireError.Kind, FaultCode, Int)])
    func headerErrors(bytes: [UInt8], kind: WireError.Kind, code: FaultCode, offset: Int) {
        #expect {
            try Frame(unstuffed: bytes)
        } throws: { error in
            guard let e = error as? WireError else { return false }
            return e.kind == kind && e.faultCode == code && e.offset == offset && e.sequence == 300
        }
    }
}
