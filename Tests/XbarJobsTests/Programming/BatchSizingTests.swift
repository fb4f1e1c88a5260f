import Testing
import XbarBoard
import XbarJobs
import XbarWire

/// A board that records the pulse batches it is asked for, then carries them out.
final class BatchRecordingBoard: Board {
    let inner: SimulatedBoard
    private(set) var batches: [PulseBatch] = []
    init(_ inner: SimulatedBoard) { self.inner = inner }
    var backendDescription: String { inner.backendDescription }
    func perform(_ request: Request) throws(BoardError) -> Reply {
        if case .pulseBatch(let b) = request { batches.append(b) }
        return try inner.perform(request)
    }
}

/// Batches as large as the board's payload allows, and no larger; verify reads averaged enough.
@Suite("write-verify batch sizing and verify averaging")
struct BatchSizingTests {
    @Test("a 64 KiB payload carries 5460 pulses in one PULSE_BATCH and not 5461")
    func pulsesPerPayload() {
        let n = ProgrammingSettings.maxPulsesPerBatch(maxPayloadBytes: 65_536)
        #expect(n == 5460)
        func payload(_ count: Int) -> Int {
            WireCodec.payloadByteCount(of: .pulseBatch(PulseBatch(
                tile: 0, scheme: .grounded, verify: VerifyRead(readVolts: 0.2, averages: 8),
                pulses: Array(repeating: CellPulse(cell: CellIndex(row: 0, column: 0), amplitudeVolts: 1, widthSeconds: 1e-6), count: count))))
        }
        #expect(payload(n) <= 65_536)
        #expect(payload(n + 1) > 65_536)
    }

    @Test("with more open cells than a batch holds, batches are split at the limit and every cell gets its turn")
    func splitBatches() throws {
        let setup = try SimulatedProgramming()
        let sim = setup.board(seed: 3)
        let board = BatchRecordingBoard(sim)
        var settings = setup.settings()
        settings.maxPulsesPerBatch = 40
        let report = try setup.job(.adaptive, board: board, sim: sim, settings: settings).run()[0]
        let sizes = board.batches.map(\.pulses.count)
        try #require(sizes.count >= 7)
        #expect(sizes.allSatisfy { $0 <= 40 }, "batch sizes \(sizes)")
        // 256 open cells: the first six batches are full, and the first seven reach every cell.
        #expect(sizes.prefix(6).allSatisfy { $0 == 40 }, "batch sizes \(sizes)")
        let columns = Int(setup.info.columns)
        let reached = Set(board.batches.prefix(7).flatMap { $0.pulses.map { Int($0.cell.row) * columns + Int($0.cell.column) } })
        #expect(reached.count == setup.info.cellCount)
        #expect(UInt64(report.pulses.reduce(0, +)) == sim.pulsesApplied)
        #expect(report.count(.converged) + report.count(.stuck) >= setup.info.cellCount - 3)
    }

    @Test("verify reads average enough reads for one read's noise at the top of the range to be an eighth of the tolerance")
    func verifyAverages() throws {
        // 2 % noise of 100 uS is 2 uS; an eighth of a 1.5 uS tolerance needs (8 x 2 / 1.5)^2 = 113.8, so 114 reads.
        #expect(ProgrammingSettings.verifyAverages(readNoiseSpread: 0.02, highSiemens: 100e-6, toleranceSiemens: 1.5e-6, maxAverages: 1000) == 114)
        #expect(ProgrammingSettings.verifyAverages(readNoiseSpread: 0.01, highSiemens: 100e-6, toleranceSiemens: 1.5e-6, maxAverages: 1000) == 29)
        #expect(ProgrammingSettings.verifyAverages(readNoiseSpread: 0.02, highSiemens: 100e-6, toleranceSiemens: 1.5e-6, maxAverages: 100) == 100)
        #expect(ProgrammingSettings.verifyAverages(readNoiseSpread: 0.001, highSiemens: 100e-6, toleranceSiemens: 10e-6, maxAverages: 128) == 1)
        // The standard settings meet the rule (or the 128-read cap): averaged noise at the top of
        // the range at most an eighth of the tolerance.
        let setup = try SimulatedProgramming()
        let settings = setup.settings()
        #expect(settings.verifyAverages > 1)
        #expect(settings.readNoise(at: setup.range.highSiemens) <= settings.toleranceSiemens / 8 * 1.0001 || settings.verifyAverages == 128)
    }

    @Test("the pulse envelope keeps RESET to its own limit and widths within the energy limit")
    func envelope() throws {
        let limits = TestLimits.usb4x64
        let envelope = PulseEnvelope(limits: limits)
        #expect(abs(envelope.maxVolts(up: true) - 3.0) < 1e-4)
        #expect(abs(envelope.maxVolts(up: false) - 3.3) < 1e-4)
        // 5 nJ / (3 V x 200 uA) = 8.33 us, below the 10 us width limit.
        let w = envelope.maxWidth(atVolts: 3.0)
        #expect(abs(w - 5e-9 / (3.0 * 200e-6)) < 1e-10)
        #expect(limits.checkPulse(amplitudeVolts: 3.0, widthSeconds: Float(w)) == nil)
        #expect(limits.checkPulse(amplitudeVolts: 3.0, widthSeconds: Float(w * 1.001))?.limit == .pulseEnergy)
        #expect(limits.checkPulse(amplitudeVolts: -Float(envelope.maxVolts(up: false)), widthSeconds: Float(envelope.maxWidth(atVolts: 3.3))) == nil)
        // At 1 V the width limit binds, not the energy.
        #expect(abs(envelope.maxWidth(atVolts: 1.0) - 10e-6) < 1e-9)
    }
}

enum TestLimits {
    static let usb4x64 = ElectricalLimits(
        maxSetVolts: 3.0, maxResetVolts: 3.3, maxReadVolts: 0.5, maxMVMVolts: 0.3,
        minPulseWidthSeconds: 50e-9, maxPulseWidthSeconds: 10e-6, complianceAmperes: 200e-6,
        maxPulseEnergyJoules: 5e-9, maxReadAverages: 256, maxReadTrainLength: 4096, maxProgramActions: 65_536)
}
