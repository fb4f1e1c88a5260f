import Foundation
import Testing
@testable import XbarTransport

/// The gate that keeps a USB device handle (and a serial descriptor) from being freed under a
/// transfer: close() waits for operations in progress; none starts after it.
@Suite("operation gate")
struct OperationGateTests {
    /// Events in the order they happened, from several threads.
    final class Timeline: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [String] = []
        func add(_ event: String) { lock.withLock { events.append(event) } }
        var all: [String] { lock.withLock { events } }
    }

    @Test("close() returns only after a transfer in progress has left, and a transfer after it is refused as disconnected")
    func closeWaitsForTransfers() throws {
        let gate = OperationGate(closedReason: "the USB device was closed on this side")
        let timeline = Timeline()
        let started = DispatchSemaphore(value: 0)
        let transfer = Thread {
            _ = try? gate.run("bulk transfer") { () throws(TransportError) in
                timeline.add("transfer started")
                started.signal()
                Thread.sleep(forTimeInterval: 0.2)
                timeline.add("transfer ended")
            }
        }
        transfer.start()
        started.wait()
        #expect(gate.close())
        timeline.add("closed")
        #expect(timeline.all == ["transfer started", "transfer ended", "closed"])
        #expect(!gate.close(), "a second close frees nothing twice")
        #expect {
            try gate.run("bulk transfer") { () throws(TransportError) in timeline.add("late transfer") }
        } throws: { error in
            "\(error)".contains("the USB device was closed on this side")
        }
        #expect(!timeline.all.contains("late transfer"))
    }
}
