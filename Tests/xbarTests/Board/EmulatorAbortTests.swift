import Foundation
import Testing
import XbarTransport
import XbarWire

/// `xbar sim --real-time` keeps reading its link while a READ_TRAIN runs, so ABORT stops it
/// (protocol sections 8.7 and 8.10), as a board's firmware does.
@Suite("the board emulator process stops a READ_TRAIN on ABORT")
struct EmulatorAbortTests {
    @Test("ABORT 0.2 s into a 2 s train: FAULT aborted for the train, then DONE, well before the train's end")
    func abortStopsTheTrain() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3", "--real-time"])
        defer { _ = emulator.stop() }
        let link = try SerialTransport.open(path: emulator.devicePath, configuration: SerialConfiguration(baudRate: 921_600))
        defer { link.close() }
        // A board just started has an empty reply cache: any sequence number is new.
        let train = Request.readTrain(ReadTrain(cells: .cell(tile: 4, CellIndex(row: 0, column: 0)), pulse: nil,
                                                readVolts: 0.2, readCount: 2000, intervalSeconds: 1e-3))
        let started = ContinuousClock.now
        try link.write([0] + WireCodec.encode(train, sequence: 10), timeoutSeconds: 1)
        Thread.sleep(forTimeInterval: 0.2)
        try link.write(WireCodec.encode(.abort, sequence: 11), timeoutSeconds: 1)

        var receiver = FrameReceiver()
        var replies: [(UInt16, Reply)] = []
        while replies.count < 2, ContinuousClock.now - started < .seconds(3) {
            guard let bytes = try? link.read(upTo: 65536, timeoutSeconds: 0.5) else { continue }
            receiver.append(bytes)
            while let next = receiver.next() {
                let frame = try next.get()
                replies.append((frame.header.sequence, try WireCodec.decodeReply(frame)))
            }
        }
        #expect(ContinuousClock.now - started < .seconds(1.5), "the train ran on")
        try #require(replies.count == 2, "replies: \(replies)")
        #expect(replies[0].0 == 10)
        guard case .fault(let fault) = replies[0].1 else { Issue.record("expected FAULT aborted, got \(replies[0].1)"); return }
        #expect(fault.code == .aborted)
        #expect(replies[1].0 == 11)
        #expect(replies[1].1 == .done)
    }
}
