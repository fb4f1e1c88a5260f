import Foundation
import Testing
import XbarBoard
import XbarInstrument
@testable import XbarJobs
import XbarStore
import XbarWire

/// Numbers that cannot be waited or sent are refused by name before anything reaches a board.
@Suite("waits, journal values and sweep counts out of range")
struct UnusableNumberTests {
    @Test("a wait of exactly one week is accepted; just above it, infinite, NaN or negative is refused naming the limit")
    func waitBoundaries() {
        #expect(WaitLimit.problem(seconds: 604_800) == nil)
        #expect(WaitLimit.problem(seconds: 0) == nil)
        #expect(WaitLimit.problem(seconds: 0, positive: true) != nil)
        #expect(WaitLimit.problem(seconds: 604_800.001)?.contains("at most 604800 s (one week)") == true)
        for bad in [1e300, .infinity, .nan, -1e-9] {
            #expect(WaitLimit.problem(seconds: bad) != nil, "\(bad) s")
        }
    }

    @Test("replaying a journal whose settle is 1e300 s throws naming the settle time, and the board clock does not move")
    func hugeSettleInJournal() throws {
        let setup = try SimulatedProgramming()
        let board = setup.board(seed: 1)
        let before = board.boardTimeNanoseconds
        #expect {
            _ = try OperationRunner.execute(.settle(tile: 0, seconds: 1e300), on: board) { board.advanceTime(seconds: $0) }
        } throws: { error in
            (error as? WaitLimitError)?.description.contains("settle time: 1e+300 s is outside the waits accepted") == true
        }
        #expect(board.boardTimeNanoseconds == before)
    }

    @Test("journal values no request can carry (scheme 9, tile 300, row -1, 70000 averages) are refused by field, nothing sent")
    func journalValuesThatDoNotFit() throws {
        let setup = try SimulatedProgramming()
        let board = setup.board(seed: 1)
        let pulse = LedgerPulse(row: 0, column: 0, amplitudeVolts: 1.2, widthSeconds: 1e-6)
        let cases: [(JournalOperation, field: String, value: String)] = [
            (.pulseBatch(tile: 0, scheme: 9, verifyReadVolts: 0.2, averages: 1, pulses: [pulse]), "scheme", "9"),
            (.pulseBatch(tile: 300, scheme: 0, verifyReadVolts: 0.2, averages: 1, pulses: [pulse]), "tile", "300"),
            (.pulseBatch(tile: 0, scheme: 0, verifyReadVolts: 0.2, averages: 70_000, pulses: [pulse]), "averages", "70000"),
            (.read(tile: 0, cells: [CellAddress(row: -1, column: 0)], rows: 16, columns: 16, readVolts: 0.2, averages: 1), "row", "-1"),
        ]
        for (operation, field, value) in cases {
            #expect { _ = try OperationRunner.execute(operation, on: board) { _ in } } throws: { error in
                guard let e = error as? JournalConversionError else { return false }
                return e.field == field && e.value == value
            }
        }
        #expect(try board.status().pulsesApplied == 0, "no pulse reached the board")
    }
}
