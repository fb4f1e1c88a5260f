import Foundation
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// A client written from the protocol specification alone: it writes frames as bytes and reads
/// back whatever the board server answers, with no retry or matching of its own.
struct RawFrameClient {
    let link: any ByteTransport
    let stop = StopFlag()
    private var receiver = FrameReceiver()

    /// Serves `board` over an in-memory link on its own thread.
    init(serving board: any Board) {
        let (hostEnd, boardEnd) = InMemoryTransport.pair()
        link = hostEnd
        let stop = self.stop
        nonisolated(unsafe) let board = board
        Thread.detachNewThread {
            let server = BoardServer(board: board, transport: boardEnd)
            try? server.serve(pollSeconds: 0.02) { stop.raised.load(ordering: .relaxed) }
        }
    }

    func send(_ request: Request, sequence: UInt16, flags: FrameFlags = []) throws {
        try link.write(WireCodec.encode(request, sequence: sequence, flags: flags), timeoutSeconds: 1)
    }

    func send(_ frame: Frame) throws {
        try link.write(frame.wireBytes(), timeoutSeconds: 1)
    }

    /// The next frame the board sends, or nil when none comes within `seconds`.
    mutating func nextFrame(within seconds: Double = 2) throws -> Frame? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let next = receiver.next() { return try next.get() }
            guard ContinuousClock.now < deadline else { return nil }
            let bytes: [UInt8]
            do throws(TransportError) {
                bytes = try link.read(upTo: 65536, deadline: deadline)
            } catch {
                if error.isTimeout { return nil }
                throw error
            }
            receiver.append(bytes)
        }
    }

    /// The next reply, decoded.
    mutating func nextReply(within seconds: Double = 2) throws -> (sequence: UInt16, reply: Reply)? {
        guard let frame = try nextFrame(within: seconds) else { return nil }
        return (frame.header.sequence, try WireCodec.decodeReply(frame))
    }

    func shutDown() {
        stop.raised.store(true, ordering: .relaxed)
        link.close()
    }
}
