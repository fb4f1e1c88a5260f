import XbarBoard
import XbarWire

/// A board wrapper that counts round trips and the on-wire bytes of every request and reply,
/// as the wire codec frames them (COBS-stuffed, delimited).
final class WireMeter: Board {
    let inner: any Board
    private(set) var roundTrips = 0
    private(set) var requestBytes = 0
    private(set) var replyBytes = 0
    private var sequence: UInt16 = 0

    init(_ inner: any Board) { self.inner = inner }

    var backendDescription: String { inner.backendDescription }

    func perform(_ request: Request) throws(BoardError) -> Reply {
        sequence &+= 1
        roundTrips += 1
        requestBytes += WireCodec.encode(request, sequence: sequence).count
        do {
            let reply = try inner.perform(request)
            replyBytes += WireCodec.encode(reply, sequence: sequence).count
            return reply
        } catch {
            if case .fault(let fault) = error { replyBytes += WireCodec.encode(Reply.fault(fault), sequence: sequence).count }
            throw error
        }
    }

    /// Modelled time on a serial line: bytes x bits per byte / baud, seconds.
    func wireSeconds(baud: Double, bitsPerByte: Double = 10) -> Double {
        Double(requestBytes + replyBytes) * bitsPerByte / baud
    }
}
