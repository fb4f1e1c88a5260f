import Foundation
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

@Suite("the board emulator over a pseudo-terminal")
struct EmulatorOverPseudoTerminalTests {
    let instrument = try! InstrumentCatalog(directory: XbarExecutable.instrumentsFolder).resolve("usb-4x64")

    func connect(_ emulator: BoardEmulatorProcess, policy: RemoteBoard.RetryPolicy = .init()) throws -> RemoteBoard {
        let transport = try SerialTransport.open(path: emulator.devicePath, configuration: SerialConfiguration(baudRate: 921_600))
        return try RemoteBoard(transport: transport, instrument: instrument,
                               description: "serial:\(emulator.devicePath)", policy: policy)
    }

    @Test("IDENTIFY, PULSE and READ reach the emulator process through the serial transport")
    func identifyPulseRead() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "7"])
        let board = try connect(emulator)
        #expect(board.identity.model == "xbar-usb-4x64")
        #expect(board.identity.tiles.count == 5)

        let cell = CellSet.cell(tile: 0, CellIndex(row: 3, column: 5))
        let readVolts = instrument.defaultReadVolts
        let before = try board.readConductances(cell, readVolts: readVolts, averages: 16)[0]
        let pulsesBefore = try board.status().pulsesApplied
        let receipt = try board.pulse(cell, amplitudeVolts: 2.0, widthSeconds: 1e-6, scheme: .grounded)
        #expect(receipt.appliedCount == 1)
        #expect(try board.status().pulsesApplied == pulsesBefore + 1)
        // A 2 V, 1 us SET is well above the 1 V threshold: the cell must move up by more than
        // read noise (16 averaged reads of ~1.5 % noise: ~0.4 % of G).
        let after = try board.readConductances(cell, readVolts: readVolts, averages: 16)[0]
        #expect(after > before * 1.01, "before \(before) S, after \(after) S")

        // A whole row comes back in one round trip, one value per column.
        let row = try board.readConductances(.row(tile: 1, row: 0), readVolts: readVolts)
        #expect(row.count == 64)
        let (status, stderr) = emulator.stop()
        #expect(status == 0, "xbar sim exited \(status): \(stderr)")
        #expect(stderr.contains("stopped after"))
    }

    @Test("an out-of-limit pulse is refused by the host with the limit named, and never reaches the board")
    func hostRefuses() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64")
        let board = try connect(emulator)
        let sentBefore = board.bytesSent
        let error = #expect(throws: BoardError.self) {
            try board.pulse(.tile(0), amplitudeVolts: 3.4, widthSeconds: 1e-6, scheme: .grounded)
        }
        guard case .fault(let fault)? = error else { Issue.record("expected a fault, got \(String(describing: error))"); return }
        #expect(fault.code == .outOfLimits)
        #expect(fault.limit == .setVolts)
        #expect(fault.description.contains("limits.max_set_volts"))
        // A refused limit is the request's fault: no job may take it as a lost board.
        #expect(error?.isBoardLost == false)
        #expect(board.bytesSent == sentBefore)
        #expect(try board.status().pulsesApplied == 0)
    }

    @Test("killing the emulator mid-operation gives a clear error within the deadline")
    func killedEmulator() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64")
        let policy = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.5, attempts: 3)
        let board = try connect(emulator, policy: policy)
        _ = try board.status()
        emulator.kill()
        let started = ContinuousClock.now
        let error = #expect(throws: BoardError.self) {
            try board.read(.tile(0), readVolts: 0.2)
        }
        let elapsed = ContinuousClock.now - started
        // Three attempts of 0.5 s each bound the wait; a closed pseudo-terminal is noticed at once.
        #expect(elapsed < .seconds(2), "took \(elapsed)")
        let text = error.map(String.init(describing:)) ?? "no error"
        #expect(text.contains("serial:\(emulator.devicePath)"), "\(text)")
        // What lets a job fall back to a stand-in: the board is gone, not the request refused.
        #expect(error?.isBoardLost == true, "\(text)")
    }
}
