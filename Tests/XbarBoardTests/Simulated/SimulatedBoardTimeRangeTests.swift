import Testing
import XbarBoard
import XbarWire

/// Requests whose durations would overflow the simulated board's nanosecond clock are refused,
/// not carried out (they once stopped the emulator).
@Suite("simulated board: durations beyond its clock")
struct SimulatedBoardTimeRangeTests {
    @Test("a read train with an interval of 3.4e38 s is refused as badArgument and the clock does not move")
    func hugeInterval() {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 1)
        let before = board.boardTimeNanoseconds
        let train = ReadTrain(cells: .cell(tile: TestInstrument.states, CellIndex(row: 0, column: 0)), pulse: nil,
                              readVolts: 0.1, readCount: 2, intervalSeconds: .greatestFiniteMagnitude)
        #expect(refusal(board, .readTrain(train))?.code == .badArgument)
        #expect(board.boardTimeNanoseconds == before)
    }

    @Test("a timed program with an action at 2^64 - 1 ns is refused at load")
    func hugeOffset() {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 1)
        let load = PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: [
            PlayAction(offsetNanoseconds: .max, tile: TestInstrument.states, cell: CellIndex(row: 0, column: 0), operation: .read(readVolts: 0.1)),
        ])
        #expect(refusal(board, .playLoad(load))?.code == .badArgument)
        #expect(refusal(board, .playStart(programID: 1)) != nil, "nothing was loaded to start")
    }
}
