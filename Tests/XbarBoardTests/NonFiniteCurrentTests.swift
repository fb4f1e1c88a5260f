import Testing
import XbarBoard
import XbarWire

/// A board whose replies carry a NaN or infinite current: every typed operation refuses the
/// reply naming the operation and the value, so no job converts NaN to an ADC code.
@Suite("replies with currents that are not finite")
struct NonFiniteCurrentTests {
    final class BrokenBoard: Board {
        let current: Float
        init(current: Float) { self.current = current }
        var backendDescription: String { "broken" }
        func perform(_ request: Request) throws(BoardError) -> Reply {
            switch request {
            case .read, .mvm:
                return .currents(Currents(boardTimeNanoseconds: 0, amperes: [1e-6, current]))
            case .readTrain:
                return .readTrain(ReadTrainData(timestampsNanoseconds: [0, 1], amperes: [1e-6, current]))
            case .pulseBatch:
                return .pulsed(PulseReceipt(boardTimeNanoseconds: 0, appliedCount: 2, complianceHits: 0, verifyAmperes: [current, 1e-6]))
            default:
                return .done
            }
        }
    }

    @Test("READ, MVM, READ_TRAIN and PULSE_BATCH replies holding NaN or infinity are refused naming the operation", arguments: [Float.nan, .infinity, -.infinity])
    func refused(current: Float) throws {
        let board = BrokenBoard(current: current)
        let cell = CellSet.cell(tile: 0, CellIndex(row: 0, column: 0))
        func message(_ body: () throws -> Void) -> String? {
            do { try body() } catch { return "\(error)" }
            return nil
        }
        #expect(message { _ = try board.read(cell, readVolts: 0.2) }?.contains("current 1 is \(current) A") == true)
        #expect(message { _ = try board.mvm(MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0.2, inputLength: 1, inputs: [0.1])) }?
            .contains("MVM") == true)
        #expect(message { _ = try board.readTrain(ReadTrain(cells: cell, pulse: nil, readVolts: 0.2, readCount: 2, intervalSeconds: 1e-3)) }?
            .contains("READ_TRAIN") == true)
        #expect(message { _ = try board.pulseBatch(PulseBatch(tile: 0, scheme: .grounded, verify: nil, pulses: [])) }?
            .contains("current 0 is \(current) A") == true)
        // Finite currents pass untouched.
        #expect(try BrokenBoard(current: 2e-6).read(cell, readVolts: 0.2).amperes == [1e-6, 2e-6])
    }
}
