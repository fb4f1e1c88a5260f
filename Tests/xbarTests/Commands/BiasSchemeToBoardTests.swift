import Foundation
import Synchronization
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// A simulated board that notes the bias scheme of every pulse request it is sent.
final class SchemeRecordingBoard: Board {
    let inner: SimulatedBoard
    let schemes: SchemeLog
    init(_ inner: SimulatedBoard, log: SchemeLog) {
        self.inner = inner
        schemes = log
    }
    var backendDescription: String { inner.backendDescription }
    func perform(_ request: Request) throws(BoardError) -> Reply {
        switch request {
        case .pulse(let p): schemes.append(p.scheme)
        case .pulseBatch(let b): schemes.append(b.scheme)
        default: break
        }
        return try inner.perform(request)
    }
}

final class SchemeLog: Sendable {
    private let seen = Mutex<[BiasScheme]>([])
    func append(_ scheme: BiasScheme) { seen.withLock { $0.append(scheme) } }
    var all: [BiasScheme] { seen.withLock { $0 } }
}

/// The scheme chosen on the command line is the one the board is asked for, on the wire: a
/// V/2 board (serial-32x32, whose default is half) asked for `third` pulses at V/3.
@Suite("the command line's bias scheme reaches the board", .serialized)
struct BiasSchemeToBoardTests {
    /// Serves a recording simulated serial-32x32 board on a pseudo-terminal in this process.
    static func serve(_ log: SchemeLog) throws -> (PseudoTerminal, StopFlag) {
        let instrument = try Instrument.load(path: XbarExecutable.instrumentsFolder + "/serial-32x32.yaml")
        let terminal = try PseudoTerminal()
        let stop = StopFlag()
        nonisolated(unsafe) let board = SchemeRecordingBoard(SimulatedBoard(instrument: instrument, seed: 4), log: log)
        Thread.detachNewThread {
            let server = BoardServer(board: board, transport: terminal)
            try? server.serve(pollSeconds: 0.02) { stop.raised.load(ordering: .relaxed) }
        }
        return (terminal, stop)
    }

    @Test("xbar pulse --bias-scheme third and xbar program --bias-scheme third send thirdVoltage, not the board's default", arguments: ["third", "third-voltage"])
    func third(spelling: String) throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let log = SchemeLog()
        let (terminal, stop) = try Self.serve(log)
        defer { stop.raised.store(true, ordering: .relaxed); terminal.close() }

        let pulse = try lab.run(["pulse", "--board", "serial:\(terminal.slavePath)", "--instrument", "serial-32x32", "--cells", "0:0",
                                 "--volts", "1.5", "--width", "1e-6", "--bias-scheme", spelling])
        #expect(pulse.status == 0, "\(pulse)")
        #expect(log.all == [.thirdVoltage], "xbar pulse sent \(log.all)")

        let target = try lab.python("""
            import numpy
            numpy.save('t.npy', numpy.random.default_rng(3).uniform(5e-6, 30e-6, (32, 32)))
            """)
        #expect(target.status == 0, "\(target)")
        let program = try lab.run(["program", "--board", "serial:\(terminal.slavePath)", "--instrument", "serial-32x32",
                                   "--target", "t.npy", "--tile", "0", "--bias-scheme", spelling], limit: .seconds(120)) {
            log.all.count >= 3
        }
        let batches = log.all.dropFirst()
        try #require(batches.count >= 2, "\(program)")
        #expect(batches.allSatisfy { $0 == .thirdVoltage }, "xbar program sent \(Array(batches))")
    }
}

final class StopFlag: Sendable {
    let raised = Atomic(false)
}
