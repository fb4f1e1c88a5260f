import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// PLAY read actions in a sense range (capability bit 11) on the simulated board.
@Suite("Simulated board: PLAY reads in a sense range")
struct SimulatedBoardRangedPlayTests {
    static let node = CellIndex(row: 0, column: 3)

    /// Runs `actions` as program 3 and returns its read results, amperes.
    static func run(_ board: SimulatedBoard, _ actions: [PlayAction]) throws -> [Double] {
        _ = try board.perform(.playLoad(PlayLoad(programID: 3, chunkIndex: 0, chunkCount: 1, actions: actions)))
        _ = try board.perform(.playStart(programID: 3))
        guard case .playData(let data) = try board.perform(.playFetch(PlayFetch(programID: 3, firstResult: 0, maxResults: .max))) else {
            Issue.record("PLAY_FETCH did not answer playData")
            return []
        }
        #expect(data.complete)
        return data.results.map { Double($0.amperes) }
    }

    static func read(_ offset: UInt64, range: UInt8?) -> PlayAction {
        PlayAction(offsetNanoseconds: offset, tile: TestInstrument.states, cell: node, operation: .read(readVolts: 0.5, senseRange: range))
    }

    @Test("a board with sense ranges reports ranged PLAY reads; its reads in the 4 µA range come in 4 µA / 255 steps, and a node charged beyond the range reads the range's full scale")
    func stepsAndClipping() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 4)
        #expect(board.identity.capabilities.contains(.rangedPlayReads))
        let fullScale = 4e-6, step = fullScale / 255
        // At rest the node's base (about 2 µS, 1 µA at 0.5 V) is within the range; eight 2 V
        // pulses of 5 µs charge it near its 20 µS ceiling (some 10 µA), beyond it.
        var actions = [Self.read(0, range: 4), Self.read(1_000, range: nil)]
        for _ in 0..<8 {
            actions.append(PlayAction(offsetNanoseconds: 10_000, tile: TestInstrument.states, cell: Self.node,
                                      operation: .pulse(amplitudeVolts: 2, widthSeconds: 5e-6)))
        }
        actions.append(Self.read(100_000, range: 4))
        let results = try Self.run(board, actions)
        #expect(results.count == 3)
        let atRest = results[0]
        #expect(atRest > 0.5e-6 && atRest < 2e-6)
        // A whole number of the range's steps (to float32 precision), finer than the ADC's own.
        #expect(abs(atRest / step - (atRest / step).rounded()) < 1e-3)
        let ownStep = Double(board.instrument.adc.readFullScaleAmperes) / 255
        #expect(abs(atRest - results[1]) < ownStep)
        #expect(results[2] == Double(Float(fullScale)))
    }

    @Test("a read in a range the board lacks is refused when its chunk loads, naming the ranges the board has")
    func unknownRangeRefused() throws {
        let board = SimulatedBoard(instrument: TestInstrument.usb4x64(), seed: 4)
        #expect {
            _ = try board.perform(.playLoad(PlayLoad(programID: 3, chunkIndex: 0, chunkCount: 1, actions: [Self.read(0, range: 5)])))
        } throws: { error in
            guard case BoardError.fault(let fault) = error else { return false }
            return fault.code == .badArgument && fault.message.contains("ranges 0 to 4")
        }
    }
}
