import Foundation
import Testing
import XbarWire

/// The worked examples of `protocols/xbar-wire-v1.md` are the codec's output, byte for byte.
///
/// Each example in the specification follows a `<!-- example: NAME -->` line, in a fenced
/// block of labelled hex lines: `header`, `payload`, `crc` (the frame before stuffing) and
/// `wire` (after stuffing, with the delimiter); unlabelled lines continue the previous label.
@Suite("specification examples")
struct SpecExampleTests {
    static let specPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocols/xbar-wire-v1.md").path

    /// The example block the specification must hold for `frame`.
    static func block(_ frame: Frame) -> String {
        let unstuffed = frame.unstuffedBytes()
        let header = Array(unstuffed.prefix(FrameLayout.headerBytes))
        let crc = Array(unstuffed.suffix(FrameLayout.crcBytes))
        func lines(_ label: String, _ bytes: [UInt8]) -> [String] {
            guard !bytes.isEmpty else { return [label.padding(toLength: 8, withPad: " ", startingAt: 0) + "(none)"] }
            return stride(from: 0, to: bytes.count, by: 16).map { start in
                let prefix = start == 0 ? label.padding(toLength: 8, withPad: " ", startingAt: 0) : String(repeating: " ", count: 8)
                return prefix + bytes[start..<min(start + 16, bytes.count)].map(hex).joined(separator: " ")
            }
        }
        return (lines("header", header) + lines("payload", frame.payload) + lines("crc", crc) + lines("wire", frame.wireBytes()))
            .joined(separator: "\n")
    }

    static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }

    /// The labelled bytes of every example block in the specification, by example name.
    static func parseSpec() throws -> [String: [String: [UInt8]]] {
        let text = try String(contentsOfFile: specPath, encoding: .utf8)
        var examples: [String: [String: [UInt8]]] = [:]
        var name: String?
        var inBlock = false
        var label = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("<!-- example:") {
                name = trimmed.dropFirst("<!-- example:".count).replacingOccurrences(of: "-->", with: "")
                    .trimmingCharacters(in: .whitespaces)
                continue
            }
            if trimmed.hasPrefix("```") {
                if inBlock { inBlock = false; name = nil } else if name != nil { inBlock = true; label = "" }
                continue
            }
            guard inBlock, let name else { continue }
            var tokens = trimmed.split(separator: " ").map(String.init)
            if let first = tokens.first, first.count > 2 || first.contains(where: { !$0.isHexDigit }) {
                label = first
                tokens.removeFirst()
            }
            let bytes = tokens.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
            examples[name, default: [:]][label, default: []] += bytes
        }
        return examples
    }

    @Test("every worked example in the specification is the codec's output byte for byte",
          arguments: SpecExamples.all.map(\.name))
    func example(name: String) throws {
        let frame = try #require(SpecExamples.all.first { $0.name == name }?.frame)
        let spec = try Self.parseSpec()
        let block = Self.block(frame)
        guard let parsed = spec[name] else {
            Issue.record("protocols/xbar-wire-v1.md has no example \"\(name)\"; it should read:\n<!-- example: \(name) -->\n```text\n\(block)\n```")
            return
        }
        let unstuffed = (parsed["header"] ?? []) + (parsed["payload"] ?? []) + (parsed["crc"] ?? [])
        #expect(unstuffed == frame.unstuffedBytes(), "example \(name) should read:\n\(block)")
        #expect(parsed["wire"] == frame.wireBytes(), "example \(name) should read:\n\(block)")
    }

    @Test("the specification's example frames decode to the messages they illustrate")
    func decodes() throws {
        let spec = try Self.parseSpec()
        for (name, frame) in SpecExamples.all {
            let wire = try #require(spec[name]?["wire"], "example \(name) is missing")
            var receiver = FrameReceiver()
            receiver.append(wire)
            guard case .success(let received)? = receiver.next() else {
                Issue.record("example \(name) does not frame")
                continue
            }
            #expect(received == frame)
            if frame.header.opcode.isReply {
                #expect(try WireCodec.decodeReply(received) == WireCodec.decodeReply(frame))
            } else {
                #expect(try WireCodec.decodeRequest(received) == WireCodec.decodeRequest(frame))
            }
        }
    }

    @Test("the specification names no example the codec does not produce")
    func noStrayExamples() throws {
        let names = Set(SpecExamples.all.map(\.name))
        for name in try Self.parseSpec().keys { #expect(names.contains(name), "stray example \(name)") }
    }

    @Test("the FAULT example is what the limits check answers for a 3.5 V SET pulse")
    func faultExample() {
        let fault = SpecExamples.tooHighPulseFault
        #expect(fault.code == .outOfLimits)
        #expect(fault.limit == .setVolts)
        #expect(fault.value == 3.5)
        #expect(fault.limitValue == 3.0)
    }
}
