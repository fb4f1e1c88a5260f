import Testing
import XbarWire

/// Section 1: every reserved field is sent as zero and refused when it is not, in every message.
@Suite("specification: reserved fields are refused when not zero")
struct ReservedFieldTests {
    /// A request, and the payload offset of a byte that is reserved in it.
    static let cases: [(String, Request, Int)] = [
        ("PULSE_BATCH verifyReadVolts without hasVerify",
         .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil,
                                pulses: [CellPulse(cell: CellIndex(row: 0, column: 0), amplitudeVolts: 1, widthSeconds: 1e-6)])), 3),
        ("PULSE_BATCH verifyAverages without hasVerify",
         .pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil,
                                pulses: [CellPulse(cell: CellIndex(row: 0, column: 0), amplitudeVolts: 1, widthSeconds: 1e-6)])), 8),
        ("MVM readVolts with voltage encoding",
         .mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 2, inputs: [0.1, 0.2])), 5),
        ("READ_TRAIN pulse without hasPulse",
         .readTrain(ReadTrain(cells: .tile(4), pulse: nil, readVolts: 0.2, readCount: 3, intervalSeconds: 1e-3)), 14),
        ("PLAY_LOAD read action's b",
         .playLoad(PlayLoad(programID: 1, chunkIndex: 0, chunkCount: 1,
                            actions: [PlayAction(offsetNanoseconds: 0, tile: 4, cell: CellIndex(row: 0, column: 0),
                                                 operation: .read(readVolts: 0.2))])), 8 + 18),
        ("unused bits of a mask's last byte",
         .read(ReadCells(cells: .mask(tile: 0, CellMask(rows: 3, columns: 3)), readVolts: 0.2, averages: 1)), 6 + 2 + 4 + 1),
    ]

    @Test("the request decodes with the reserved byte zero and is refused as badArgument with it set",
          arguments: cases.indices)
    func refused(index: Int) throws {
        let (name, request, offset) = Self.cases[index]
        var frame = WireCodec.frame(request, sequence: 5)
        #expect(try WireCodec.decodeRequest(frame) == request, "\(name)")
        try #require(offset < frame.payload.count)
        frame.payload[offset] |= 0x02
        #expect(throws: WireError.self, "\(name)") { try WireCodec.decodeRequest(frame) }
        do {
            _ = try WireCodec.decodeRequest(frame)
        } catch {
            #expect(error.faultCode == .badArgument, "\(name)")
            #expect(error.sequence == 5)
        }
    }
}
