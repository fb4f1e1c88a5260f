import Foundation
import Glibc
import Testing
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// The protocol client over `SerialPort` (libserialport) to the board emulator, as a lab with a
/// serial board runs it: `RemoteBoard` on this side, `xbar sim --pty` in its own process.
@Suite("RemoteBoard over libserialport to the board emulator", .serialized)
struct LibSerialPortBoardTests {
    static let instrumentsFolder = EmulatorProcess.packageRoot.appendingPathComponent("instruments").path

    func instrumentFile(_ name: String) -> String { Self.instrumentsFolder + "/\(name).yaml" }

    /// The instrument's own line settings, as `xbar` applies them.
    func configuration(of instrument: Instrument) -> SerialConfiguration {
        guard case .serial(let s) = instrument.transport else { return SerialConfiguration(baudRate: 115_200) }
        return SerialConfiguration(baudRate: s.baudRate, dataBits: s.dataBits,
                                   parity: SerialConfiguration.Parity(rawValue: s.parity.rawValue) ?? .none,
                                   stopBits: s.stopBits,
                                   flowControl: SerialConfiguration.FlowControl(rawValue: s.flowControl.rawValue) ?? .none)
    }

    @Test("IDENTIFY and STATUS round trips reach the emulator process through libserialport, and a pulse and a whole-array READ come back exactly as the board produced them")
    func serialBoard() throws {
        guard LibSerialPortLine.isAvailable(for: "RemoteBoard over libserialport"),
              EmulatorProcess.isAvailable(for: "RemoteBoard over libserialport") else { return }
        let instrument = try InstrumentCatalog(directory: Self.instrumentsFolder).resolve("serial-32x32")
        let emulator = try EmulatorProcess(instrument: instrumentFile("serial-32x32"), seed: 11)
        let line = try LibSerialPortLine(servedAt: emulator.slavePath)
        defer { line.close() }
        let port = try SerialPort(path: line.portName, configuration: configuration(of: instrument))
        #expect(port.configuration.baudRate == 921_600)
        let board = try RemoteBoard(transport: port, instrument: instrument, description: "serial:\(line.portName)")
        defer { port.close() }

        // Connecting took one STATUS and two IDENTIFYs (plain, then the sense ranges the board
        // reports), each answered first time.
        #expect(board.roundTrips == 3 && board.retryCount == 0)
        #expect(board.identity.senseRanges?.count == instrument.senseRanges.count && !instrument.senseRanges.isEmpty)
        #expect(board.identity.model == "xbar-serial-32x32")
        #expect(board.identity.tiles.map { [$0.rows, $0.columns] } == [[32, 32], [1, 32]])
        #expect(try board.status().pulsesApplied == 0)

        // The same requests on the emulator's twin in this process: same instrument, same seed.
        let twin = SimulatedBoard(instrument: instrument, seed: 11)
        _ = try twin.status()
        _ = try twin.identify()
        _ = try twin.status()

        // 1.6 V is above the 1.4 V SET threshold and within every limit of the instrument.
        let cell = CellSet.cell(tile: 0, CellIndex(row: 3, column: 5))
        let receipt = try board.pulse(cell, amplitudeVolts: 1.6, widthSeconds: 1e-6, scheme: .halfVoltage)
        #expect(receipt == (try twin.pulse(cell, amplitudeVolts: 1.6, widthSeconds: 1e-6, scheme: .halfVoltage)))
        #expect(try board.status().pulsesApplied == 1)
        _ = try twin.status()

        let bytesBefore = board.bytesReceived
        let currents = try board.read(.tile(0), readVolts: 0.2)
        let expected = try twin.read(.tile(0), readVolts: 0.2)
        #expect(currents.amperes.count == 32 * 32)
        // Bit for bit: the serial link must neither lose, reorder nor alter a byte.
        #expect(currents == expected)
        // 1024 currents of 4 bytes: more than the terminal holds at once, so it came in parts.
        #expect(board.bytesReceived - bytesBefore > 4096)
        #expect(board.retryCount == 0)
    }

    @Test("a 64x64 tile READ, a 16 KiB reply, crosses libserialport intact")
    func largeRead() throws {
        guard LibSerialPortLine.isAvailable(for: "large READ over libserialport"),
              EmulatorProcess.isAvailable(for: "large READ over libserialport") else { return }
        let instrument = try InstrumentCatalog(directory: Self.instrumentsFolder).resolve("usb-4x64")
        let emulator = try EmulatorProcess(instrument: instrumentFile("usb-4x64"), seed: 3)
        let line = try LibSerialPortLine(servedAt: emulator.slavePath)
        defer { line.close() }
        let port = try SerialPort(path: line.portName, configuration: SerialConfiguration(baudRate: 921_600))
        defer { port.close() }
        let board = try RemoteBoard(transport: port, instrument: instrument, description: "serial:\(line.portName)")
        let twin = SimulatedBoard(instrument: instrument, seed: 3)
        _ = try twin.status()
        _ = try twin.identify()

        let bytesBefore = board.bytesReceived
        for tile: UInt8 in [0, 3] {
            let currents = try board.read(.tile(tile), readVolts: instrument.defaultReadVolts, averages: 4)
            #expect(currents.amperes.count == 64 * 64)
            #expect(currents == (try twin.read(.tile(tile), readVolts: instrument.defaultReadVolts, averages: 4)))
        }
        #expect(board.bytesReceived - bytesBefore > 2 * 16_384)
        #expect(board.retryCount == 0)
    }

    @Test("a board that never answers: connecting fails after its two attempts with a timeout naming the port, and both tries went out under one sequence number")
    func silentBoard() throws {
        guard LibSerialPortLine.isAvailable(for: "silent board over libserialport") else { return }
        let instrument = try InstrumentCatalog(directory: Self.instrumentsFolder).resolve("serial-32x32")
        let line = try LibSerialPortLine()
        defer { line.close() }
        let port = try SerialPort(path: line.portName, configuration: configuration(of: instrument))
        defer { port.close() }
        let policy = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.2, attempts: 2)
        let start = ContinuousClock.now
        let error = #expect(throws: BoardError.self) {
            _ = try RemoteBoard(transport: port, instrument: instrument, description: "serial:\(line.portName)", policy: policy)
        }
        let elapsed = ContinuousClock.now - start
        guard case .timeout(let operation, let seconds, let attempts)? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(operation.contains("STATUS on serial:\(line.portName)"), "\(operation)")
        #expect(seconds == 0.2 && attempts == 2)
        // Two waits of 0.2 s; the upper bound allows for a busy machine.
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(2), "took \(elapsed)")

        // What the board side received: the same STATUS twice, the second marked as a retry.
        var receiver = FrameReceiver()
        receiver.append(try #require(line.board).read(upTo: 4096, timeout: .seconds(1)))
        var frames: [Frame] = []
        while let next = receiver.next() { frames.append(try next.get()) }
        #expect(frames.map(\.header.opcode) == [.status, .status])
        #expect(frames.map(\.header.flags) == [[], [.retry]])
        #expect(Set(frames.map(\.header.sequence)).count == 1)
    }

    @Test("killing the emulator mid-session ends the next request at once with a transport error naming the port")
    func emulatorKilled() throws {
        guard LibSerialPortLine.isAvailable(for: "emulator killed under libserialport"),
              EmulatorProcess.isAvailable(for: "emulator killed under libserialport") else { return }
        let instrument = try InstrumentCatalog(directory: Self.instrumentsFolder).resolve("serial-32x32")
        let emulator = try EmulatorProcess(instrument: instrumentFile("serial-32x32"), seed: 1)
        let line = try LibSerialPortLine(servedAt: emulator.slavePath)
        defer { line.close() }
        let port = try SerialPort(path: line.portName, configuration: configuration(of: instrument))
        defer { port.close() }
        let policy = RemoteBoard.RetryPolicy(replyTimeoutSeconds: 0.5, attempts: 3)
        let board = try RemoteBoard(transport: port, instrument: instrument, description: "serial:\(line.portName)", policy: policy)
        _ = try board.status()
        emulator.kill()

        let start = ContinuousClock.now
        let error = #expect(throws: BoardError.self) {
            _ = try board.read(.tile(0), readVolts: 0.2)
        }
        // Not a timeout after 3 x 0.5 s: the closed terminal is noticed on the first try.
        #expect(ContinuousClock.now - start < .seconds(1))
        guard case .transport(let board, _, let cause)? = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(board == "serial:\(line.portName)")
        #expect(cause.isDisconnect, "\(cause)")
        #expect(error?.isBoardLost == true)
    }
}

@Suite("the modem-line emulation stays in the test program")
struct ModemLineEmulationScopeTests {
    @Test("the shipped xbar carries no modem-line emulation; this test program does")
    func onlyInTests() throws {
        guard EmulatorProcess.isAvailable(for: "modem-line emulation scope"),
              let xbar = EmulatorProcess.executable else { return }
        let marker = Data("xbar_modem_lines_attach".utf8)
        let testProgram = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe"))
        #expect(testProgram.range(of: marker) != nil, "the search must find the emulation where it is")
        let shipped = try Data(contentsOf: URL(fileURLWithPath: xbar))
        #expect(shipped.range(of: marker) == nil, "\(xbar) links the test-only modem-line emulation")
    }
}
