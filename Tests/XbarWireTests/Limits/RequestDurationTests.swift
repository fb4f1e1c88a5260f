import Testing
import XbarWire

/// Durations and offsets a request carries are bounded so that no board clock can overflow.
@Suite("request durations")
struct RequestDurationTests {
    let limits = SpecExamples.limits

    func train(reads: UInt16, every interval: Float) -> Request {
        .readTrain(ReadTrain(cells: .cell(tile: 0, CellIndex(row: 0, column: 0)), pulse: nil, readVolts: 0.2,
                             readCount: reads, intervalSeconds: interval))
    }

    func program(offset: UInt64) -> Request {
        .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1, actions: [
            PlayAction(offsetNanoseconds: offset, tile: 0, cell: CellIndex(row: 0, column: 0), operation: .read(readVolts: 0.2)),
        ]))
    }

    @Test("a read train lasting one week passes; one lasting longer, or with an interval of 3e38 s, is refused as badArgument")
    func readTrainSpan() throws {
        #expect(limits.check(train(reads: 1000, every: 604.8)) == nil)
        let long = try #require(limits.check(train(reads: 1000, every: 605)))
        #expect(long.code == .badArgument)
        #expect(long.message.contains("longer than the 604800 s one request may take"))
        #expect(limits.check(train(reads: 1, every: .greatestFiniteMagnitude))?.code == .badArgument)
    }

    @Test("a timed action at one week passes; one nanosecond later, or at 2^64 - 1 ns, is refused as badArgument")
    func playOffsets() {
        let week: UInt64 = 604_800_000_000_000
        #expect(limits.check(program(offset: week)) == nil)
        #expect(limits.check(program(offset: week + 1))?.code == .badArgument)
        #expect(limits.check(program(offset: .max))?.code == .badArgument)
    }
}
