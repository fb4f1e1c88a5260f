import Foundation
import Testing
import XbarTransport

@Suite("in-memory transport pair")
struct InMemoryTransportTests {
    @Test("bytes written on one end are read on the other, in order, in both directions")
    func bothWays() throws {
        let (a, b) = InMemoryTransport.pair()
        try a.write([1, 2, 3], timeout: .seconds(1))
        try a.write([4], timeout: .seconds(1))
        try b.write([9, 8], timeout: .seconds(1))
        #expect(try b.read(upTo: 2, timeout: .seconds(1)) == [1, 2])
        #expect(try b.read(upTo: 10, timeout: .seconds(1)) == [3, 4])
        #expect(try a.read(upTo: 10, timeout: .seconds(1)) == [9, 8])
    }

    @Test("a read with no data throws timedOut at its 50 ms deadline")
    func deadline() {
        let (a, _) = InMemoryTransport.pair()
        let start = ContinuousClock.now
        #expect {
            _ = try a.read(upTo: 1, timeout: .milliseconds(50))
        } throws: { error in
            guard case .timedOut? = error as? TransportError else { return false }
            return true
        }
        let elapsed = ContinuousClock.now - start
        // Never early; late by at most scheduling delay on a busy two-core machine.
        #expect(elapsed >= .milliseconds(50))
        #expect(elapsed < .seconds(1))
    }

    @Test("a blocked read returns as soon as the peer writes from another thread")
    func wakesOnWrite() throws {
        let (a, b) = InMemoryTransport.pair()
        Thread {
            Thread.sleep(forTimeInterval: 0.02)
            try? a.write([42], timeout: .seconds(1))
        }.start()
        let start = ContinuousClock.now
        #expect(try b.read(upTo: 4, timeout: .seconds(5)) == [42])
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("closing one end drains buffered bytes on the other, then reads and writes report disconnected")
    func close() throws {
        let (a, b) = InMemoryTransport.pair()
        try a.write([7, 7], timeout: .seconds(1))
        a.close()
        #expect(try b.read(upTo: 8, timeout: .seconds(1)) == [7, 7])
        #expect {
            _ = try b.read(upTo: 8, timeout: .seconds(1))
        } throws: { error in
            guard case .disconnected? = error as? TransportError else { return false }
            return true
        }
        #expect {
            try b.write([1], timeout: .seconds(1))
        } throws: { error in
            guard case .disconnected? = error as? TransportError else { return false }
            return true
        }
    }

    @Test("closing one end wakes a read blocked on the other end")
    func closeWakesPeer() {
        let (a, b) = InMemoryTransport.pair()
        Thread {
            Thread.sleep(forTimeInterval: 0.02)
            a.close()
        }.start()
        let start = ContinuousClock.now
        #expect(throws: TransportError.self) { _ = try b.read(upTo: 1, timeout: .seconds(5)) }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("deadlines in seconds behave like instants, and errors say whether to retry or reconnect")
    func secondsAndErrorKinds() throws {
        let (a, b) = InMemoryTransport.pair()
        let start = ContinuousClock.now
        do {
            _ = try a.read(upTo: 1, timeoutSeconds: 0.05)
            Issue.record("a read with nothing sent must time out")
        } catch {
            #expect(error.isTimeout && !error.isDisconnect)
        }
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        try b.write([5], timeoutSeconds: 1)
        #expect(try a.read(upTo: 1, timeoutSeconds: 1) == [5])
        b.close()
        do {
            try a.write([1], timeoutSeconds: 1)
            Issue.record("a write after close must fail")
        } catch {
            #expect(error.isDisconnect && !error.isTimeout)
        }
    }
}
