import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarTransport
import XbarWire

/// Round trips and payload throughput of the board link, measured through the real serial and
/// USB stacks against the board emulator in another process, and the modelled wire time of a
/// full-array READ at real baud rates (a pseudo-terminal ignores the baud rate).
struct LinkBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "Board link: round trips per second, payload throughput, modelled wire time.",
        discussion: """
            Starts `xbar sim --pty` (found beside this program) and measures over its \
            pseudo-terminal, then again through real libusb against the emulated USB board \
            (tools/usb-emulator, needs umockdev). Run in a release build:
              swift build -c release && .build/release/xbar-bench link
            """)

    @Option(help: "Seconds to spend on each measurement.")
    var seconds: Double = 2

    @Option(help: .hidden)
    var measure: String?

    func run() throws {
        if let measure {
            try measureLink(address: measure)
            return
        }
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let xbar = here.appendingPathComponent("xbar").path
        guard FileManager.default.isExecutableFile(atPath: xbar) else {
            throw ValidationError("xbar is not built beside xbar-bench (\(xbar)); run swift build -c release first")
        }
        say("== Board link (wire protocol v1, board emulator `xbar sim --pty` in its own process)")
        let statusBytes = WireCodec.encode(.status, sequence: 0).count
            + WireCodec.encode(.status(BoardStatus(state: .idle, boardTimeNanoseconds: 0, pulsesApplied: 0, programID: 0)), sequence: 0).count
        say("   a STATUS round trip is \(statusBytes) wire bytes; a tile READ returns 4096 float32 currents")
        let emulator = try EmulatorChild(xbar: xbar)
        defer { emulator.stop() }
        say("-- pseudo-terminal \(emulator.devicePath)")
        try measureLink(address: "serial:\(emulator.devicePath)")

        let harness = Self.repositoryFile("tools/usb-emulator/usb_board_emulator.py")
        if let harness, FileManager.default.fileExists(atPath: "/usr/bin/python3") {
            say("-- USB bulk through libusb against the emulated device (umockdev) 1209:58BA")
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            child.arguments = [harness, "--vid", "0x1209", "--pid", "0x58BA", "--serial", "XBBENCH",
                               "--out-ep", "0x01", "--in-ep", "0x81", "--board", emulator.devicePath, "--",
                               CommandLine.arguments[0], "link", "--seconds", "\(seconds)", "--measure", "usb:1209:58BA"]
            try child.run()
            child.waitUntilExit()
            if child.terminationStatus == 77 {
                say("   not measured: umockdev is missing (apt-get install -y umockdev gir1.2-umockdev-1.0 python3-gi)")
            }
        } else {
            say("-- USB: not measured (tools/usb-emulator or /usr/bin/python3 missing)")
        }
        try printModelledWireTimes()
    }

    private func measureLink(address: String) throws {
        let catalog = try InstrumentCatalog.locate()
        let instrument = try catalog.resolve("usb-4x64")
        let board = try BoardConnector.open(try BoardAddress(parsing: address), instrument: instrument) as! RemoteBoard
        // Small messages: the round-trip rate.
        var count = 0
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(seconds / 2) {
            _ = try board.status()
            count += 1
        }
        let smallSeconds = Self.seconds(ContinuousClock.now - start)
        say(String(format: "   STATUS round trips: %8.0f /s  (%.1f us each)", Double(count) / smallSeconds, smallSeconds / Double(count) * 1e6))
        // Large replies: payload throughput.
        let sentBefore = board.bytesSent, receivedBefore = board.bytesReceived
        var reads = 0
        let readStart = ContinuousClock.now
        while ContinuousClock.now - readStart < .seconds(seconds / 2) {
            _ = try board.read(.tile(UInt8(reads % 4)), readVolts: 0.2)
            reads += 1
        }
        let readSeconds = Self.seconds(ContinuousClock.now - readStart)
        let bytes = Double(board.bytesSent - sentBefore + board.bytesReceived - receivedBefore)
        say(String(format: "   tile READs:         %8.1f /s  (%.2f ms each), wire bytes %.0f per READ, throughput %.2f MB/s",
                     Double(reads) / readSeconds, readSeconds / Double(reads) * 1e3, bytes / Double(reads), bytes / readSeconds / 1e6))
        say("   retries: \(board.retryCount)")
    }

    /// Wire time of reading every non-volatile cell of each shipped instrument, from the exact
    /// frames the codec produces, at 10 bits per byte (8N1).
    private func printModelledWireTimes() throws {
        say("-- modelled wire time of a full-array READ (exact frame bytes, 8N1 = 10 bits per byte)")
        let catalog = try InstrumentCatalog.locate()
        for name in ["usb-4x64", "serial-32x32"] {
            let instrument = try catalog.resolve(name)
            var bytes = 0
            for tile in instrument.weightTiles {
                let request = WireCodec.encode(.read(ReadCells(cells: .tile(tile.index), readVolts: 0.2)), sequence: 1)
                let reply = WireCodec.encode(.currents(Currents(boardTimeNanoseconds: 1, amperes: [Float](repeating: 1e-5, count: tile.cellCount))), sequence: 1)
                bytes += request.count + reply.count
            }
            let cells = instrument.weightTiles.reduce(0) { $0 + $1.cellCount }
            for baud in [115_200.0, 921_600.0] {
                let label = name.padding(toLength: 13, withPad: " ", startingAt: 0)
                say("   \(label)" + String(format: " %5d cells, %6d wire bytes: %7.1f ms at %6.0f baud", cells, bytes, Double(bytes) * 10 / baud * 1e3, baud))
            }
        }
    }

    static func repositoryFile(_ relative: String) -> String? {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<8 {
            let candidate = folder.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            folder.deleteLastPathComponent()
        }
        let here = FileManager.default.currentDirectoryPath + "/" + relative
        return FileManager.default.fileExists(atPath: here) ? here : nil
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// Prints a line at once, so that output of child processes interleaves in order.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `xbar sim --pty` as a child process for the benchmarks.
final class EmulatorChild {
    let process = Process()
    let devicePath: String

    init(xbar: String, instrument: String = "usb-4x64", extraArguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: xbar)
        process.arguments = ["sim", "--instrument", instrument, "--pty"] + extraArguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ValidationError("xbar sim exited before printing its device path") }
            line.append(chunk)
        }
        devicePath = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Ends the emulator at once, as a crash or a power cut would.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
