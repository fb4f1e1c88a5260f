import Foundation
import Testing
import XbarBoard
import XbarInstrument
@testable import XbarJobs
import XbarWire

@Suite("STM sweeps and board-timed waits out of range")
struct SweepRangeTests {
    static func instrument() throws -> Instrument {
        try InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: SimulatedProgramming.instrumentsFolder)
    }

    func sweep(_ edit: (inout STMSweep) -> Void) throws -> STMSweep.Failure? {
        let instrument = try Self.instrument()
        let tile = try #require(instrument.stateTiles.first)
        var sweep = STMSweep(tile: tile.index, nodes: [CellIndex(row: 0, column: 0)],
                             points: STMSweep.grid(amplitudesVolts: [1.2], widthsSeconds: [1e-6]),
                             readCount: 50, intervalSeconds: 1e-3, readVolts: instrument.stmReadVolts, settleSeconds: 0.5)
        edit(&sweep)
        do { try sweep.validate(against: instrument.limits, tile: tile) } catch { return error }
        return nil
    }

    @Test("a settle of 1e300 s, a read interval of infinity and 70000 reads per train are refused by name; the plain sweep passes")
    func refusals() throws {
        #expect(try sweep { _ in } == nil)
        #expect(try sweep { $0.settleSeconds = 604_800 } == nil, "one week is the longest wait accepted")
        #expect(try sweep { $0.settleSeconds = 1e300 }?.description.contains("settle time: 1e+300 s is outside the waits accepted") == true)
        #expect(try sweep { $0.intervalSeconds = .infinity }?.description.contains("read interval: inf s") == true)
        #expect(try sweep { $0.readCount = 70_000 }?.description == "reads per train 70000 outside 1...65535")
        #expect(try sweep { $0.points[0].pulseCount = 70_000 }?.description == "sweep point 0: pulse count 70000 outside 1...65535")
    }

    @Test("a board-timed wait of 1000 s goes out as read trains of at most 1024 reads and moves the board clock by 1000 s")
    func longSettleSplitsIntoTrains() throws {
        let instrument = try Self.instrument()
        let tile = try #require(instrument.stateTiles.first)
        let board = SimulatedBoard(instrument: instrument, seed: 3)
        let start = board.boardTimeNanoseconds
        let data = try board.settle(seconds: 1000, referenceCell: .cell(tile: tile.index, CellIndex(row: 0, column: 0)),
                                    readVolts: instrument.stmReadVolts)
        // 1000 s in quarter seconds: 4000 reads, in trains of 1024, 1024, 1024 and 928.
        #expect(data.timestampsNanoseconds.count == 4000)
        let elapsed = Double(board.boardTimeNanoseconds - start) * 1e-9
        // Each train adds the board's request overhead and read times: well under a second in all.
        #expect(elapsed >= 1000 && elapsed < 1001, "board clock moved \(elapsed) s")
        #expect(throws: WaitLimitError.self) {
            _ = try board.settle(seconds: 1e300, referenceCell: .cell(tile: tile.index, CellIndex(row: 0, column: 0)),
                                 readVolts: instrument.stmReadVolts)
        }
    }
}
