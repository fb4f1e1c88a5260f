import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// PULSE_BATCH verified in sense ranges between the host and the board emulator process
/// (`xbar sim --pty`), through the serial transport, the codec and the board server.
@Suite("ranged verify over a pseudo-terminal")
struct RangedVerifyOverPseudoTerminalTests {
    let instrument = try! InstrumentCatalog(directory: XbarExecutable.instrumentsFolder).resolve("usb-4x64")

    /// A pulse far below any switching threshold: the batch's verify reads the cell as it was.
    func gentle(_ row: UInt16, _ column: UInt16) -> CellPulse {
        CellPulse(cell: CellIndex(row: row, column: column), amplitudeVolts: 0.1, widthSeconds: 100e-9)
    }

    @Test("an old-style batch answers as before; a ranged batch verifies each group in its range, flags a saturated verify at full scale, and refuses a range the board lacks")
    func rangedBatch() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3"])
        let board = try emulator.remoteBoard(instrument: instrument)
        #expect(board.identity.capabilities.contains(.rangedVerify))

        // Old style: twenty strong SET pulses on cell (0, 0) of tile 1, each verified at the ADC's
        // read full scale; the reply carries one current per pulse and no flags (18 + 4 per pulse bytes).
        let set = [CellPulse](repeating: CellPulse(cell: CellIndex(row: 0, column: 0), amplitudeVolts: 2.0, widthSeconds: 1e-6), count: 20)
        let before = try board.status().pulsesApplied
        let plain = try board.pulseBatch(PulseBatch(tile: 1, scheme: .grounded, verify: VerifyRead(readVolts: 0.2, averages: 4), pulses: set))
        #expect(plain.appliedCount == 20 && plain.verifyAmperes.count == 20)
        #expect(plain.verifySaturated == nil)
        #expect(WireCodec.payloadByteCount(of: .pulsed(plain)) == 18 + 4 * 20)
        #expect(try board.status().pulsesApplied == before + 20)

        // The SET cell draws more than the 4 µA range holds; its fresh neighbour (1, 0) a fraction of it.
        let high = Double(try board.read(.cell(tile: 1, CellIndex(row: 0, column: 0)), readVolts: 0.2, averages: 8).amperes[0])
        try #require(high > 6e-6, "twenty SET pulses left cell (0, 0) at \(high) A")

        // Ranged: (0, 0) in the 4 µA range (index 4) once, (1, 0) there four times, then (0, 0)
        // again in the 250 µA range (index 1) four times: three verify currents, three flags.
        let ranged = PulseBatch(tile: 1, scheme: .grounded,
                                verify: VerifyRead(readVolts: 0.2, groups: [
                                    VerifyGroup(pulseCount: 1, senseRange: 4, averages: 1),
                                    VerifyGroup(pulseCount: 1, senseRange: 4, averages: 4),
                                    VerifyGroup(pulseCount: 1, senseRange: 1, averages: 4),
                                ]),
                                pulses: [gentle(0, 0), gentle(1, 0), gentle(0, 0)])
        let receipt = try board.pulseBatch(ranged)
        #expect(receipt.appliedCount == 3)
        #expect(receipt.verifySaturated == [true, false, false])
        // Saturated: full scale of the 4 µA range, never a clipped value passed off as a reading.
        #expect(receipt.verifyAmperes[0] == 4e-6)
        #expect(receipt.verifyAmperes[1] > 0 && receipt.verifyAmperes[1] < 4e-6)
        // In 250 µA (steps of 1 µA) the cell reads what the 8-average READ found, within two steps
        // and the read noise of the ranges.
        #expect(abs(Double(receipt.verifyAmperes[2]) - high) < 2 * 250e-6 / 255 + 0.05 * high,
                "verify \(receipt.verifyAmperes[2]) A in range 1, READ \(high) A")

        // A range the board lacks: refused before any pulse, naming the ranges it has.
        let pulsesBefore = try board.status().pulsesApplied
        let bad = PulseBatch(tile: 1, scheme: .grounded,
                             verify: VerifyRead(readVolts: 0.2, groups: [VerifyGroup(pulseCount: 1, senseRange: 9, averages: 1)]),
                             pulses: [gentle(2, 0)])
        let error = #expect(throws: BoardError.self) { try board.pulseBatch(bad) }
        guard case .fault(let fault)? = error else { Issue.record("expected a fault, got \(String(describing: error))"); return }
        #expect(fault.code == .badArgument)
        #expect(fault.message.contains("sense range 9"))
        #expect(try board.status().pulsesApplied == pulsesBefore, "a refused batch applies no pulse")
        let (status, stderr) = emulator.stop()
        #expect(status == 0, "xbar sim exited \(status): \(stderr)")
    }
}
