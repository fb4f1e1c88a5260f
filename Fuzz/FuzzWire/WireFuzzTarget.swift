import CFuzzerDriver
import Foundation
import XbarWire

/// Bytes from the link, hostile or damaged, through the frame receiver and both decoders.
///
/// The first byte picks what the rest is: a raw byte stream cut into frames (damage of every
/// kind before the CRC), or the header and payload of a frame that passed its CRC (so the
/// message decoders see arbitrary payloads). A decoded message must encode to bytes that
/// decode to the same encoding: the codec is one way, not two that disagree.
@main
enum WireFuzzer {
    static func main() {
        exit(xbar_fuzz_run(CommandLine.argc, CommandLine.unsafeArgv, wireFuzzTarget))
    }
}

private func wireFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let rest = bytes.dropFirst()
    if mode & 1 == 0 {
        var receiver = FrameReceiver(maxFrameBytes: 512)
        // Deliver the stream in chunks whose sizes come from the data, as a link does.
        var index = rest.startIndex
        while index < rest.endIndex {
            let chunk = Int(rest[index] % 17) + 1
            let end = min(index + chunk, rest.endIndex)
            receiver.append(rest[index..<end])
            index = end
            while let result = receiver.next() {
                if case .success(let frame) = result { checkDecoders(frame) }
            }
        }
    } else {
        guard rest.count >= 3, let opcode = Opcode(rawValue: rest[rest.startIndex]) else { return 0 }
        let sequence = UInt16(rest[rest.startIndex + 1]) << 8 | UInt16(rest[rest.startIndex + 2])
        let payload = Array(rest.dropFirst(3))
        let flags: FrameFlags = opcode.isReply ? .reply : []
        checkDecoders(Frame(header: FrameHeader(flags: flags, sequence: sequence, opcode: opcode), payload: payload))
    }
    return 0
}

private func checkDecoders(_ frame: Frame) {
    if let request = try? WireCodec.decodeRequest(frame) {
        let once = WireCodec.frame(request, sequence: frame.header.sequence)
        guard let again = try? WireCodec.decodeRequest(once) else {
            fatalError("a decoded \(frame.header.opcode.name) request does not decode after encoding")
        }
        precondition(WireCodec.frame(again, sequence: frame.header.sequence) == once,
                     "\(frame.header.opcode.name) request: encoding is not stable")
    }
    if let reply = try? WireCodec.decodeReply(frame) {
        let once = WireCodec.frame(reply, sequence: frame.header.sequence)
        guard let again = try? WireCodec.decodeReply(once) else {
            fatalError("a decoded \(frame.header.opcode.name) reply does not decode after encoding")
        }
        precondition(WireCodec.frame(again, sequence: frame.header.sequence) == once,
                     "\(frame.header.opcode.name) reply: encoding is not stable")
    }
}
