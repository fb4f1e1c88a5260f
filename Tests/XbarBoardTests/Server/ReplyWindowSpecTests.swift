import Foundation
import Testing
@testable import XbarBoard

/// The table of verdicts in section 4.2 of `protocols/xbar-wire-v1.md` is what the board's reply
/// cache decides.
@Suite("the specification's reply window table")
struct ReplyWindowSpecTests {
    static let specPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocols/xbar-wire-v1.md").path

    @Test("every row of the verdict table: newest, incoming, cached or not, and the verdict")
    func table() throws {
        let text = try String(contentsOfFile: Self.specPath, encoding: .utf8)
        // The table's rows: `| newest | incoming | yes/no | verdict |`.
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| 0x") }.map {
            $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }.filter { $0.count == 4 && ($0[2] == "yes" || $0[2] == "no") }
        try #require(rows.count == 5, "the table has its five rows")
        for row in rows {
            let newest = try #require(UInt16(row[0].dropFirst(2), radix: 16))
            let incoming = try #require(UInt16(row[1].dropFirst(2), radix: 16))
            var cache = ReplyCache(depth: 32)
            if row[2] == "yes" { cache.store([0xAA], for: incoming) }
            cache.store([0xBB], for: newest)
            let verdict = cache.verdict(for: incoming)
            switch row[3] {
            case let v where v.hasPrefix("new"): #expect(verdict == .execute, "\(row)")
            case let v where v.hasPrefix("stale"): #expect(verdict == .stale, "\(row)")
            case let v where v.hasPrefix("cached"): #expect(verdict == .replay([0xAA]), "\(row)")
            default: Issue.record("unknown verdict in \(row)")
            }
        }
    }
}
