import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

@Suite("Simulated board: STM device classes")
struct SimulatedBoardDeviceClassTests {
    /// A read train after a pulse on all 256 STM nodes, and the drawn parameters of every node.
    static func session(_ instrument: Instrument, seed: UInt64) throws -> (Reply, [ShortTermMemoryCellDraw]) {
        let board = SimulatedBoard(instrument: instrument, seed: seed)
        let reply = try board.perform(.readTrain(ReadTrain(cells: .tile(TestInstrument.states), pulse: TrainPulse(amplitudeVolts: 1.4, widthSeconds: 1e-6),
                                                           readVolts: 0.2, readCount: 30, intervalSeconds: 1e-3)))
        let draws = (0..<256).map { board.cellParameters(tile: TestInstrument.states, row: $0 / 64, column: $0 % 64).shortTermMemory! }
        return (reply, draws)
    }

    @Test("rows that all name a class equal to the default population behave bit for bit like a board without classes")
    func classesEqualToDefaultChangeNothing() throws {
        let plain = TestInstrument.usb4x64()
        var classed = plain
        classed.device.shortTermMemoryClasses = ["same": plain.device.shortTermMemory]
        classed.stmRowDeviceClasses = [TestInstrument.states: ["same", "same", "same", "same"]]
        let a = try Self.session(plain, seed: 31)
        let b = try Self.session(classed, seed: 31)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
    }

    @Test("on usb-4x64-multitau every row's nodes draw from their class: mean tau of 64 nodes within 8 % of 3, 10, 30 and 90 ms")
    func multitauRows() throws {
        let instrument = TestInstrument.shipped("usb-4x64-multitau")
        let (reply, draws) = try Self.session(instrument, seed: 5)
        for (row, tau) in [3e-3, 10e-3, 30e-3, 90e-3].enumerated() {
            let taus = draws[(row * 64)..<(row * 64 + 64)].map(\.tauSeconds)
            // 64 lognormal draws with a 15-18 % spread: their mean scatters by about 2.2 %; 8 % is 3.6 sigma.
            let mean = taus.reduce(0, +) / 64
            #expect(abs(mean - tau) / tau < 0.08, "row \(row): mean tau \(mean) s")
        }
        // The 3 ms nodes have lost most of their volatile part 10 ms after the pulse, the 90 ms ones little.
        guard case .readTrain(let data) = reply else { Issue.record("expected read-train data"); return }
        func volatileFraction(row: Int) -> Double {
            let first = (0..<64).map { Double(data.amperes[row * 64 + $0]) }.reduce(0, +)
            let later = (0..<64).map { Double(data.amperes[10 * 256 + row * 64 + $0]) }.reduce(0, +)
            let base = (0..<64).map { draws[row * 64 + $0].baseSiemens * 0.2 }.reduce(0, +)
            return (later - base) / (first - base)
        }
        #expect(volatileFraction(row: 0) < 0.2)
        #expect(volatileFraction(row: 3) > 0.8)
    }
}
