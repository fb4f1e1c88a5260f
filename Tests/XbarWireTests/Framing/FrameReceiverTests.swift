import PropertyBased
import Testing
import XbarWire

@Suite("frame receiver")
struct FrameReceiverTests {
    /// A frame of 60 bytes and one of 300 (with full COBS blocks: runs of 254 non-zero bytes).
    static let frames: [Frame] = [
        WireCodec.frame(SpecExamples.pulseBatch, sequence: 0x0101),
        WireCodec.frame(.currents(Currents(boardTimeNanoseconds: 0x0102_0304_0506_0708,
                                           amperes: (0..<70).map { 1e-6 + Float($0) * 1.7e-9 })), sequence: 0xFF00),
    ]

    /// Everything a fresh receiver yields for `chunks`.
    static func results(_ chunks: [[UInt8]], maxFrameBytes: Int? = nil) -> [Result<Frame, WireError>] {
        var receiver = maxFrameBytes.map { FrameReceiver(maxFrameBytes: $0) } ?? FrameReceiver()
        var out: [Result<Frame, WireError>] = []
        for chunk in chunks {
            receiver.append(chunk)
            while let r = receiver.next() { out.append(r) }
        }
        return out
    }

    static func frames(in results: [Result<Frame, WireError>]) -> [Frame] {
        results.compactMap { if case .success(let f) = $0 { f } else { nil } }
    }

    static func errors(in results: [Result<Frame, WireError>]) -> [WireError] {
        results.compactMap { if case .failure(let e) = $0 { e } else { nil } }
    }

    static func randomBytes(_ count: Int, _ rng: inout Xoshiro) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { withUnsafeBytes(of: rng.next()) { bytes.append(contentsOf: $0) } }
        return Array(bytes.prefix(count))
    }

    @Test("every single-bit flip of the frame before stuffing is caught by the CRC", arguments: [0, 1])
    func unstuffedBitFlips(index: Int) {
        let frame = Self.frames[index]
        let clean = frame.unstuffedBytes()
        var missed: [Int] = []
        for bit in 0..<(clean.count * 8) {
            var bytes = clean
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            let results = Self.results([COBS.encode(bytes) + [0]])
            if results.count != 1 || Self.errors(in: results).map(\.kind) != [.badCRC] { missed.append(bit) }
        }
        #expect(missed.isEmpty, "flips of these bits were not refused as bad CRC: \(missed)")
    }

    @Test("every single-bit flip of the stuffed bytes on the wire is rejected", arguments: [0, 1])
    func wireBitFlips(index: Int) {
        let wire = Self.frames[index].wireBytes()
        var accepted: [Int] = []
        var unreported: [Int] = []
        for bit in 0..<(wire.count * 8) {
            var bytes = wire
            bytes[bit / 8] ^= 1 << UInt8(bit % 8)
            // A trailing delimiter ends the frame even when the flip hit the original one.
            let results = Self.results([bytes + [0]])
            if !Self.frames(in: results).isEmpty { accepted.append(bit) }
            if Self.errors(in: results).isEmpty { unreported.append(bit) }
        }
        #expect(accepted.isEmpty, "flips of these bits were accepted: \(accepted)")
        #expect(unreported.isEmpty, "flips of these bits went unreported: \(unreported)")
    }

    @Test("a frame cut at every length is rejected, never accepted", arguments: [0, 1])
    func truncations(index: Int) {
        let wire = Self.frames[index].wireBytes()
        var wrong: [Int] = []
        for length in 1..<(wire.count - 1) {
            let results = Self.results([Array(wire.prefix(length)) + [0]])
            if !Self.frames(in: results).isEmpty || Self.errors(in: results).count != 1 { wrong.append(length) }
        }
        #expect(wrong.isEmpty, "frames cut to these lengths were not refused exactly once: \(wrong)")
    }

    @Test("a payload cut at every length fails naming the field that overran, at an offset inside the payload")
    func payloadTruncations() {
        let frame = Self.frames[0]
        for length in 0..<frame.payload.count {
            let cut = Frame(header: frame.header, payload: Array(frame.payload.prefix(length)))
            #expect {
                _ = try WireCodec.decodeRequest(cut)
            } throws: { error in
                guard let e = error as? WireError, e.kind == .truncated else { return false }
                return e.field.hasPrefix("PULSE_BATCH.") && e.sequence == 0x0101 && e.faultCode == .badLength
                    && e.offset >= FrameLayout.headerBytes && e.offset <= FrameLayout.headerBytes + length
            }
        }
    }

    @Test("garbage before a frame is reported and the frame after it is found")
    func garbageBeforeFrame() {
        var rng = Xoshiro()
        let wire = Self.frames[0].wireBytes()
        for _ in 0..<500 {
            let garbage = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Garbage without a final delimiter swallows the first frame; the one after it survives.
            let results = Self.results([garbage, wire, wire])
            let found = Self.frames(in: results)
            #expect(found.last == Self.frames[0])
            #expect(found.count == (garbage.last == 0 ? 2 : 1) || found.count == 2)
        }
    }

    @Test("two frames in one chunk come out as two frames, in order")
    func twoInOneChunk() {
        let results = Self.results([Self.frames[0].wireBytes() + Self.frames[1].wireBytes()])
        #expect(Self.frames(in: results) == Self.frames)
        #expect(Self.errors(in: results).isEmpty)
    }

    @Test("a frame split across chunks of every size comes out whole")
    func splitAcrossChunks() {
        let wire = Self.frames[1].wireBytes()
        for size in [1, 2, 3, 7, 63, 64, 512, wire.count - 1] {
            let chunks = stride(from: 0, to: wire.count, by: size).map { Array(wire[$0..<min($0 + size, wire.count)]) }
            let results = Self.results(chunks)
            #expect(Self.frames(in: results) == [Self.frames[1]], "chunks of \(size) bytes")
            #expect(Self.errors(in: results).isEmpty)
        }
    }

    @Test("consecutive delimiters are skipped silently")
    func emptyFrames() {
        let results = Self.results([[0, 0, 0] + Self.frames[0].wireBytes() + [0, 0]])
        #expect(results.count == 1)
        #expect(Self.frames(in: results) == [Self.frames[0]])
    }

    @Test("a frame over the receiver's size is refused as oversized, with its sequence number, and the next frame is found")
    func oversized() throws {
        let big = WireCodec.encode(Reply.currents(Currents(boardTimeNanoseconds: 0, amperes: [Float](repeating: 1, count: 17_000))),
                                   sequence: 0x1234)
        #expect(big.count > FrameLayout.stuffedFrameBytes(payloadBytes: FrameLayout.maxPayloadBytes))
        let results = Self.results([big, Self.frames[0].wireBytes()])
        let error = try #require(Self.errors(in: results).first)
        #expect(error.kind == .oversized)
        #expect(error.sequence == 0x1234)
        #expect(error.faultCode == .badLength)
        #expect(Self.frames(in: results) == [Self.frames[0]])

        // A small board's receiver refuses what exceeds its own limit.
        let small = Self.results([Self.frames[1].wireBytes()], maxFrameBytes: FrameLayout.stuffedFrameBytes(payloadBytes: 256))
        #expect(Self.errors(in: small).map(\.kind) == [.oversized])
    }

    @Test("a header announcing more than 64 KiB is refused before anything is read")
    func announcedOversize() throws {
        var bytes: [UInt8] = [1, 0, 0x34, 0x12, Opcode.read.rawValue]
        let length = UInt32(FrameLayout.maxPayloadBytes + 1)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
        let crc = CRC32C.checksum(bytes)
        bytes += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        #expect(throws: WireError(.oversized, field: "payloadLength", offset: 5, sequence: 0x1234,
                                  reason: "payload of 65537 bytes exceeds the maximum of 65536")) {
            try Frame(unstuffed: bytes)
        }
    }

    @Test("100000 random byte strings yield only errors, never a frame")
    func fuzzFrames() {
        var rng = Xoshiro()
        var receiver = FrameReceiver()
        var accepted = 0
        for _ in 0..<100_000 {
            receiver.append(Self.randomBytes(Int.random(in: 0...40, using: &rng), &rng))
            receiver.append([0])
            while let r = receiver.next() {
                if case .success(let frame) = r {
                    accepted += 1
                    _ = try? WireCodec.decodeRequest(frame)
                    _ = try? WireCodec.decodeReply(frame)
                }
            }
        }
        // A random string passes the CRC with probability 2^-32 per frame.
        #expect(accepted == 0)

    }

    @Test("30000 random or mutated payloads under valid headers decode or fail with an error inside the payload")
    func fuzzPayloads() {
        var rng = Xoshiro()
        let valid = SpecExamples.all.map(\.frame)
        var decoded = 0
        var misplaced: [WireError] = []
        for i in 0..<30_000 {
            let opcode = Opcode.allCases.randomElement(using: &rng)!
            var payload: [UInt8]
            if i % 2 == 0, let base = valid.randomElement(using: &rng)?.payload, !base.isEmpty {
                payload = base
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    payload[Int.random(in: 0..<payload.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) { payload.removeLast(Int.random(in: 0...payload.count, using: &rng)) }
            } else {
                payload = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let frame = Frame(header: FrameHeader(flags: opcode.isReply ? .reply : [], sequence: 7, opcode: opcode), payload: payload)
            do {
                _ = opcode.isReply ? try WireCodec.decodeReply(frame).opcode : try WireCodec.decodeRequest(frame).opcode
                decoded += 1
            } catch {
                if error.sequence != 7 || error.offset < FrameLayout.headerBytes
                    || error.offset > FrameLayout.headerBytes + payload.count {
                    misplaced.append(error)
                }
            }
        }
        #expect(misplaced.isEmpty, "errors without the sequence number or with an offset outside the payload: \(misplaced.prefix(5))")
        #expect(decoded > 0, "some random payloads are valid messages")
    }
}
