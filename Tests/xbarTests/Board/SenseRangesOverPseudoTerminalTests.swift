import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// Sense ranges between the host and the board emulator process (`xbar sim --pty`), through the
/// serial transport, the codec and the board server.
@Suite("sense ranges over a pseudo-terminal")
struct SenseRangesOverPseudoTerminalTests {
    let instrument = try! InstrumentCatalog(directory: XbarExecutable.instrumentsFolder).resolve("usb-4x64")

    /// Every row of tile 0 at `volts`: each column draws `volts` times its 64 cells' conductances,
    /// at least 64 x 1.5 µS x 0.25 V = 24 µA on the shipped device model.
    func wholeTile(volts: Float, vectors: Int, range: UInt8?) -> MatrixVectorProduct {
        MatrixVectorProduct(tile: 0, encoding: .voltage, readVolts: 0, inputLength: 64,
                            inputs: [Float](repeating: volts, count: 64 * vectors), senseRange: range)
    }

    @Test("the host learns the board's ranges when it connects; plain IDENTIFY, READ and MVM answer as before, without ranges or flags")
    func oldStyleRequests() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3"])
        let board = try emulator.remoteBoard(instrument: instrument)
        #expect(board.identity.capabilities.contains(.senseRanges))
        #expect(board.identity.senseRanges == instrument.senseRanges)
        #expect(board.identity.senseRanges?.count == 5)

        // What a host that knows no ranges sends and receives: the IDENTITY ends with the tiles,
        // CURRENTS with the currents (10 + 4 per value bytes), exactly as before.
        guard case .identity(let plain) = try board.perform(.identify) else { Issue.record("no IDENTITY"); return }
        #expect(plain.senseRanges == nil)
        let read = try board.read(.row(tile: 0, row: 0), readVolts: 0.2)
        #expect(read.saturated == nil)
        #expect(WireCodec.payloadByteCount(of: .currents(read)) == 10 + 4 * 64)
        let product = try board.mvm(wholeTile(volts: 0.25, vectors: 2, range: nil))
        #expect(product.saturated == nil && product.amperes.count == 128)
        // 24 µA and more per column: well inside the 1 mA full scale, so nothing reads full scale.
        #expect(product.amperes.allSatisfy { $0 > 20e-6 && $0 < 1e-3 })
        let (status, stderr) = emulator.stop()
        #expect(status == 0, "xbar sim exited \(status): \(stderr)")
    }

    @Test("a product beyond the chosen range comes back flagged at full scale; a range that holds it, unflagged and to its step")
    func rangeSelectionAndFlags() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3"])
        let board = try emulator.remoteBoard(instrument: instrument)
        let reference = try board.mvm(wholeTile(volts: 0.25, vectors: 4, range: nil)).amperes

        // The 4 µA range (index 4) cannot hold 24 µA: every column reads +4 µA, flagged.
        let small = try board.mvm(wholeTile(volts: 0.25, vectors: 4, range: 4))
        #expect(small.saturated == [Bool](repeating: true, count: 256))
        #expect(small.amperes.allSatisfy { $0 == 4e-6 })
        // Negative inputs saturate at the negative full scale, flagged too.
        let negative = try board.mvm(wholeTile(volts: -0.25, vectors: 1, range: 4))
        #expect(negative.saturated == [Bool](repeating: true, count: 64))
        #expect(negative.amperes.allSatisfy { $0 == -4e-6 })

        // The 250 µA range (index 1) holds every column; its step is 250 µA / 127 = 2 µA against
        // 7.9 µA at the ADC's own 1 mA full scale; with the converter's integral non-linearity
        // (about 1 LSB of either) both agree within two coarse steps and noise.
        let large = try board.mvm(wholeTile(volts: 0.25, vectors: 4, range: 1))
        #expect(large.saturated == [Bool](repeating: false, count: 256))
        let step = 250e-6 / 127
        for (k, value) in large.amperes.enumerated() {
            #expect(abs(Double(value) - Double(reference[k])) < 2 * 1e-3 / 127 + 3e-6, "column \(k % 64): \(value) A in range, \(reference[k]) A without")
            let code = Double(value) / step
            #expect(abs(code - code.rounded()) < 1e-3, "column \(k % 64): \(value) A is not on the range's steps")
        }

        // A READ in range: a fresh cell draws a fraction of a microampere at 0.2 V, within 4 µA.
        let cells = try board.read(.row(tile: 1, row: 0), readVolts: 0.2, senseRange: 4)
        #expect(cells.saturated == [Bool](repeating: false, count: 64))
        #expect(cells.amperes.allSatisfy { $0 > 0 && $0 < 4e-6 })

        // A range the board lacks: refused, naming what it has.
        let error = #expect(throws: BoardError.self) { try board.mvm(wholeTile(volts: 0.25, vectors: 1, range: 9)) }
        guard case .fault(let fault)? = error else { Issue.record("expected a fault, got \(String(describing: error))"); return }
        #expect(fault.code == .badArgument)
        #expect(fault.message.contains("sense range 9"))
        #expect(error?.isBoardLost == false)
        let (status, stderr) = emulator.stop()
        #expect(status == 0, "xbar sim exited \(status): \(stderr)")
    }
}
