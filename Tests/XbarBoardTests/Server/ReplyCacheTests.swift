import Testing
@testable import XbarBoard

@Suite("reply cache")
struct ReplyCacheTests {
    @Test("a repeated sequence number is replayed from the cache, not executed again")
    func replays() {
        var cache = ReplyCache(depth: 4)
        #expect(cache.verdict(for: 7) == .execute)
        cache.store([1, 2, 3], for: 7)
        #expect(cache.verdict(for: 7) == .replay([1, 2, 3]))
        #expect(cache.verdict(for: 8) == .execute)
    }

    @Test("a sequence number older than the window is stale; inside the window it is still replayed")
    func window() {
        var cache = ReplyCache(depth: 4)
        for s in UInt16(10)...15 { cache.store([UInt8(s)], for: s) }
        // 12...15 are kept; 10 and 11 fell out of the window of 4.
        #expect(cache.verdict(for: 12) == .replay([12]))
        #expect(cache.verdict(for: 11) == .stale)
        #expect(cache.verdict(for: 10) == .stale)
        #expect(cache.verdict(for: 16) == .execute)
    }

    @Test("sequence numbers wrap around 65535 without turning new requests stale")
    func wraps() {
        var cache = ReplyCache(depth: 32)
        for s in UInt16(65530)...65535 { cache.store([0], for: s) }
        #expect(cache.verdict(for: 0) == .execute)
        cache.store([9], for: 0)
        #expect(cache.verdict(for: 1) == .execute)
        #expect(cache.verdict(for: 65535) == .replay([0]))
    }

    @Test("after RESET every sequence number executes")
    func reset() {
        var cache = ReplyCache(depth: 2)
        for s in UInt16(0)...9 { cache.store([], for: s) }
        #expect(cache.verdict(for: 3) == .stale)
        cache.clear()
        #expect(cache.verdict(for: 3) == .execute)
    }

    @Test("a number exactly 32768 from the newest is stale, not executed; 32767 ahead is new and moves the window")
    func halfWay() {
        var cache = ReplyCache(depth: 32)
        cache.store([1], for: 0x0010)
        #expect(cache.verdict(for: 0x8010) == .stale)
        #expect(cache.verdict(for: 0x800F) == .execute)
        cache.store([2], for: 0x800F)
        #expect(cache.nextSequence == 0x8010)
        // 0x0010 is now 32767 behind and still cached; an uncached number behind is stale.
        #expect(cache.verdict(for: 0x0010) == .replay([1]))
        #expect(cache.verdict(for: 0x0011) == .stale)
    }

    @Test("after a RESET stored under its number, a number from before the RESET is stale and a later one is new")
    func behindReset() {
        var cache = ReplyCache(depth: 32)
        for s in UInt16(0)...9 { cache.store([UInt8(s)], for: s) }
        cache.clear()
        cache.store([0xD0], for: 10)
        #expect(cache.verdict(for: 7) == .stale)
        #expect(cache.verdict(for: 9) == .stale)
        #expect(cache.verdict(for: 10) == .replay([0xD0]))
        #expect(cache.verdict(for: 11) == .execute)
    }
}
