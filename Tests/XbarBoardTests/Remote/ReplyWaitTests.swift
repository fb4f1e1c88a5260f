import Foundation
import Testing
import XbarBoard
import XbarTransport
import XbarWire

@Suite("how long a remote board waits for a reply")
struct ReplyWaitTests {
    let instrument = TestInstrument.usb4x64()

    func board(bitsPerSecond: Double?) throws -> (RemoteBoard, ServedBoard) {
        let served = ServedBoard(instrument: instrument)
        let policy = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.5, attempts: 2, bitsPerSecond: bitsPerSecond)
        return (try RemoteBoard(transport: served.host, instrument: instrument, description: "link", policy: policy), served)
    }

    @Test("on a serial line the wait grows by the wire time of the request and its largest reply, 10 bits per byte")
    func lineSpeed() throws {
        let (slow, servedSlow) = try board(bitsPerSecond: 9600)
        defer { servedSlow.shutDown() }
        let (fast, servedFast) = try board(bitsPerSecond: 921_600)
        defer { servedFast.shutDown() }
        let (usb, servedUSB) = try board(bitsPerSecond: nil)
        defer { servedUSB.shutDown() }
        let read = Request.read(ReadCells(cells: .tile(0), readVolts: 0.2, averages: 1))
        // A whole 64x64 tile comes back as 4096 currents of 4 bytes: 16 KiB, 17.1 s at 9600 baud.
        let slowWait = slow.replyWaitSeconds(for: read, frameBytes: 32)
        #expect(slowWait > 0.5 + 16384 * 10 / 9600.0 && slowWait < 0.5 + 17000 * 10 / 9600.0, "\(slowWait) s")
        let fastWait = fast.replyWaitSeconds(for: read, frameBytes: 32)
        #expect(fastWait > 0.5 + 16384 * 10 / 921_600.0 && fastWait < 0.5 + 17000 * 10 / 921_600.0, "\(fastWait) s")
        #expect(usb.replyWaitSeconds(for: read, frameBytes: 32) == 0.5, "no line speed, no wire time")
        // One cell's reply is a few dozen bytes: the margin dominates.
        let one = Request.read(ReadCells(cells: .cell(tile: 0, CellIndex(row: 0, column: 0)), readVolts: 0.2, averages: 1))
        #expect(slow.replyWaitSeconds(for: one, frameBytes: 32) < 0.5 + 200 * 10 / 9600.0)
        // A product of 8 vectors on 64 columns: 2 KiB of currents.
        let mvm = Request.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                                                  inputs: [Float](repeating: 0.01, count: 8 * 64)))
        let mvmWait = slow.replyWaitSeconds(for: mvm, frameBytes: 2100)
        #expect(mvmWait > 0.5 + (2100 + 2048) * 10 / 9600.0 && mvmWait < 0.5 + (2100 + 2300) * 10 / 9600.0, "\(mvmWait) s")
    }

    @Test("a board that goes silent is reported with the wait each attempt gave it")
    func namedWait() throws {
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        defer { _ = boardEnd; hostEnd.close() }
        let policy = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.1, attempts: 2, bitsPerSecond: 1_000_000)
        let error = #expect(throws: BoardError.self) {
            _ = try RemoteBoard(transport: hostEnd, instrument: instrument, description: "link", policy: policy)
        }
        guard case .timeout(let operation, let seconds, let attempts)? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))"); return
        }
        #expect(operation.contains("STATUS on link"))
        // The margin and the wire time of a STATUS frame and its short reply at 1 Mbit/s.
        #expect(seconds > 0.1 && seconds < 0.1 + 400 * 10 / 1e6, "\(seconds) s")
        #expect(attempts == 2)
        #expect(error?.description.contains("s per attempt") == true)
    }
}
