import Foundation
import Testing
import XbarWire

/// Section 3.5's table of checks on receipt: a frame failing check n draws the FAULT code the
/// table names for it, a code of section 5.
@Suite("specification: checks on receipt and their FAULT codes")
struct ReceiptCheckTests {
    /// Check number → FAULT code name, from the table after `<!-- receipt-checks -->`.
    static func specTable() throws -> [Int: String] {
        let text = try String(contentsOfFile: SpecExampleTests.specPath, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- receipt-checks -->"))
        var table: [Int: String] = [:]
        for line in text[start.upperBound...].split(separator: "\n").dropFirst(2) {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let number = Int(cells.first ?? ""), let code = cells.last else { continue }
            table[number] = code.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        }
        return table
    }

    static func failure(_ make: () throws -> Void) -> WireError? {
        do {
            try make()
            return nil
        } catch {
            return error as? WireError
        }
    }

    /// A frame failing each check, and the error the codec reports for it.
    static func errors() -> [Int: WireError?] {
        let good = WireErrorTests.unstuffed(sequence: 300, opcode: 1)
        var receiver = FrameReceiver(maxFrameBytes: 20)
        receiver.append([UInt8](repeating: 0x11, count: 30) + [0])
        let oversized: WireError? = if case .failure(let e)? = receiver.next() { e } else { nil }
        return [
            1: oversized,
            2: failure { _ = try Frame(stuffed: [0x05, 0x01]) },
            3: failure { _ = try Frame(unstuffed: Array(good.prefix(8))) },
            4: failure { _ = try Frame(unstuffed: Array(good.dropLast()) + [0x77]) },
            5: failure { _ = try Frame(unstuffed: WireErrorTests.unstuffed(version: 2, sequence: 300, opcode: 1)) },
            6: failure { _ = try Frame(unstuffed: WireErrorTests.unstuffed(flags: 0x04, sequence: 300, opcode: 1)) },
            7: failure { _ = try Frame(unstuffed: WireErrorTests.unstuffed(sequence: 300, opcode: 1, payload: [1, 2], length: 3)) },
            8: failure { _ = try Frame(unstuffed: WireErrorTests.unstuffed(sequence: 300, opcode: 0x42)) },
            9: failure { _ = try Frame(unstuffed: WireErrorTests.unstuffed(flags: 0x01, sequence: 300, opcode: 1)) },
        ]
    }

    @Test("the table lists checks 1 to 9, each with a FAULT code of section 5")
    func tableNamesFaultCodes() throws {
        let table = try Self.specTable()
        #expect(table.keys.sorted() == Array(1...9))
        let names = Set(FaultCode.allCases.map { "\($0)" })
        for (number, code) in table { #expect(names.contains(code), "check \(number) names \(code), not a FAULT code") }
    }

    @Test("a frame failing each check draws the FAULT code the table names", arguments: 1...9)
    func codeOfCheck(number: Int) throws {
        let table = try Self.specTable()
        let error = try #require(Self.errors()[number] ?? nil, "check \(number) did not fail")
        #expect("\(error.faultCode)" == table[number], "check \(number): \(error)")
    }
}
