/// Turns requests and replies into on-wire frames and back.
///
/// Sending: ``encode(_:sequence:flags:)`` gives the bytes to write, stuffed and delimited.
/// Receiving: feed bytes to a ``FrameReceiver``, which yields checked ``Frame``s, then
/// ``decodeRequest(_:)`` or ``decodeReply(_:)``.
public enum WireCodec {
    /// The on-wire bytes of a request frame: COBS-stuffed, with the trailing 0x00.
    ///
    /// The reply flag is never set on a request, whatever `flags` holds. A request whose
    /// payload exceeds ``FrameLayout/maxPayloadBytes`` (see ``payloadByteCount(of:)``) is
    /// refused by every receiver as oversized: split the work instead.
    public static func encode(_ request: Request, sequence: UInt16, flags: FrameFlags = []) -> [UInt8] {
        frame(request, sequence: sequence, flags: flags).wireBytes()
    }

    /// The on-wire bytes of a reply frame (reply flag set), stuffed, with the trailing 0x00.
    public static func encode(_ reply: Reply, sequence: UInt16) -> [UInt8] {
        frame(reply, sequence: sequence).wireBytes()
    }

    /// The frame of a request, before stuffing.
    public static func frame(_ request: Request, sequence: UInt16, flags: FrameFlags = []) -> Frame {
        var payload: [UInt8] = []
        request.encodePayload(into: &payload)
        return Frame(header: FrameHeader(flags: flags.subtracting(.reply), sequence: sequence, opcode: request.opcode),
                     payload: payload)
    }

    /// The frame of a reply, before stuffing.
    public static func frame(_ reply: Reply, sequence: UInt16) -> Frame {
        var payload: [UInt8] = []
        reply.encodePayload(into: &payload)
        return Frame(header: FrameHeader(flags: .reply, sequence: sequence, opcode: reply.opcode), payload: payload)
    }

    /// The payload size of a request, bytes; at most ``FrameLayout/maxPayloadBytes`` (or the
    /// board's `maxPayloadBytes`) for the board to accept it.
    public static func payloadByteCount(of request: Request) -> Int {
        var payload: [UInt8] = []
        request.encodePayload(into: &payload)
        return payload.count
    }

    /// The payload size of a reply, bytes.
    public static func payloadByteCount(of reply: Reply) -> Int {
        var payload: [UInt8] = []
        reply.encodePayload(into: &payload)
        return payload.count
    }

    /// The request a checked frame carries.
    ///
    /// - Throws: `WireError` naming the field and frame offset that is wrong.
    public static func decodeRequest(_ frame: Frame) throws(WireError) -> Request {
        try Request(frame)
    }

    /// The reply a checked frame carries.
    ///
    /// - Throws: `WireError` naming the field and frame offset that is wrong.
    public static func decodeReply(_ frame: Frame) throws(WireError) -> Reply {
        try Reply(frame)
    }
}
