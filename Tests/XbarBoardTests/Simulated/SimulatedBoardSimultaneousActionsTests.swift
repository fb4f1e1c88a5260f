import Testing
import XbarBoard
import XbarWire

@Suite("Simulated board: simultaneous actions on STM nodes")
struct SimulatedBoardSimultaneousActionsTests {
    static func play(_ board: SimulatedBoard, _ actions: [PlayAction]) throws -> (start: UInt64, results: [PlayResult], pulses: UInt64) {
        let before = board.pulsesApplied
        _ = try board.playLoad(PlayLoad(programID: 9, chunkIndex: 0, chunkCount: 1, actions: actions))
        let started = try board.playStart(programID: 9)
        let data = try board.playFetch(PlayFetch(programID: 9, firstResult: 0, maxResults: .max))
        #expect(data.complete)
        return (started.startNanoseconds, data.results, board.pulsesApplied - before)
    }

    @Test("pulses at one offset on distinct STM nodes run together for their longest width; one row's reads convert together and share a timestamp; another row's reads start a new conversion")
    func nodesActTogether() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 3)
        #expect(board.identity.capabilities.contains(.simultaneousNodeActions))
        let s = TestInstrument.states
        var actions = (0..<8).map { c in
            PlayAction(offsetNanoseconds: 100_000, tile: s, cell: CellIndex(row: 0, column: UInt16(c)),
                       operation: .pulse(amplitudeVolts: 1.5, widthSeconds: c == 3 ? 2e-6 : 1e-6))
        }
        actions += (0..<64).map { c in
            PlayAction(offsetNanoseconds: 100_000, tile: s, cell: CellIndex(row: 0, column: UInt16(c)), operation: .read(readVolts: 0.2))
        }
        actions += (0..<2).map { c in
            PlayAction(offsetNanoseconds: 100_000, tile: s, cell: CellIndex(row: 1, column: UInt16(c)), operation: .read(readVolts: 0.2))
        }
        let (start, results, pulses) = try Self.play(board, actions)
        #expect(pulses == 8)
        #expect(results.count == 66)
        // The pulses end 2 us (the longest width) after their offset; row 0's reads all then,
        // row 1's one read time (1 us) later.
        let row0 = Set(results.prefix(64).map { $0.timestampNanoseconds - start })
        let row1 = Set(results.suffix(2).map { $0.timestampNanoseconds - start })
        #expect(row0 == [102_000])
        #expect(row1 == [103_000])
        // Nodes 0...7 were pulsed, the others not.
        #expect(results[0].amperes > results[10].amperes)
    }

    @Test("actions on non-volatile cells, and a second pulse on the same node, stay one after another")
    func sharedLinesStaySequential() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 3)
        let s = TestInstrument.states
        let actions = [
            PlayAction(offsetNanoseconds: 0, tile: 0, cell: CellIndex(row: 0, column: 0), operation: .read(readVolts: 0.2)),
            PlayAction(offsetNanoseconds: 0, tile: 0, cell: CellIndex(row: 0, column: 1), operation: .read(readVolts: 0.2)),
            PlayAction(offsetNanoseconds: 10_000, tile: s, cell: CellIndex(row: 0, column: 0), operation: .pulse(amplitudeVolts: 1.5, widthSeconds: 1e-6)),
            PlayAction(offsetNanoseconds: 10_000, tile: s, cell: CellIndex(row: 0, column: 0), operation: .pulse(amplitudeVolts: 1.5, widthSeconds: 1e-6)),
            PlayAction(offsetNanoseconds: 10_000, tile: s, cell: CellIndex(row: 0, column: 0), operation: .read(readVolts: 0.2)),
        ]
        let (start, results, pulses) = try Self.play(board, actions)
        #expect(pulses == 2)
        #expect(results.map { $0.timestampNanoseconds - start } == [0, 1_000, 12_000])
    }
}
