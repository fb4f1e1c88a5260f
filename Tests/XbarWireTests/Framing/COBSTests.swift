import PropertyBased
import Testing
import XbarWire

@Suite("COBS")
struct COBSTests {
    // Examples from Cheshire and Baker's paper as commonly tabulated.
    @Test("stuffs the reference examples byte for byte", arguments: [
        ([0x00], [0x01, 0x01]),
        ([0x00, 0x00], [0x01, 0x01, 0x01]),
        ([0x00, 0x11, 0x00], [0x01, 0x02, 0x11, 0x01]),
        ([0x11, 0x22, 0x00, 0x33], [0x03, 0x11, 0x22, 0x02, 0x33]),
        ([0x11, 0x22, 0x33, 0x44], [0x05, 0x11, 0x22, 0x33, 0x44]),
        ([0x11, 0x00, 0x00, 0x00], [0x02, 0x11, 0x01, 0x01, 0x01]),
    ] as [([UInt8], [UInt8])])
    func reference(plain: [UInt8], stuffed: [UInt8]) throws {
        #expect(COBS.encode(plain) == stuffed)
        #expect(try COBS.decode(stuffed) == plain)
    }

    @Test("254 non-zero bytes make one full block; 255 make a full block and a short one")
    func longRuns() throws {
        let run254 = (1...254).map { UInt8($0) }
        #expect(COBS.encode(run254) == [0xFF] + run254)
        let run255 = run254 + [0xFF]
        #expect(COBS.encode(run255) == [0xFF] + run254 + [0x02, 0xFF])
        let zeroFirst = [0x00] + run254
        #expect(COBS.encode(zeroFirst) == [0x01, 0xFF] + run254)
        for plain in [run254, run255, zeroFirst, run254 + [0]] {
            #expect(try COBS.decode(COBS.encode(plain)) == plain)
        }
    }

    @Test("random byte strings survive stuffing, never contain zero, and stay within the size bound")
    func random() throws {
        var rng = Xoshiro()
        for _ in 0..<500 {
            let n = Int.random(in: 0...1_200, using: &rng)
            // Mostly zeros, mostly non-zeros, or uniform, so both block kinds are exercised.
            let zeroRate = [0.0, 0.01, 0.5, 0.99].randomElement(using: &rng)!
            let plain = (0..<n).map { _ in Double.random(in: 0..<1, using: &rng) < zeroRate ? 0 : UInt8.random(in: 1...255, using: &rng) }
            let stuffed = COBS.encode(plain)
            #expect(!stuffed.contains(0))
            #expect(stuffed.count <= COBS.maxEncodedCount(n))
            #expect(try COBS.decode(stuffed) == plain)
        }
    }

    @Test("a code byte pointing past the end is refused at its offset")
    func overrun() {
        #expect {
            try COBS.decode([0x02, 0x11, 0x05, 0x22, 0x33])
        } throws: { error in
            let e = error as? WireError
            return e?.kind == .badCOBS && e?.offset == 2 && e?.faultCode == .badCRC
        }
        #expect {
            try COBS.decode([0x03, 0x11, 0x00, 0x01])
        } throws: { error in
            (error as? WireError)?.offset == 2
        }
    }
}
