import Foundation
import Testing

/// The board emulator behind an emulated USB device: `xbar sim` serves a pseudo-terminal, the
/// umockdev harness presents a USB device whose bulk endpoints carry bytes to and from it, and
/// `xbar` in the harness talks to the device through the real libusb.
@Suite("the board emulator over emulated USB")
struct EmulatorOverUSBTests {
    /// Runs `xbar ARGS` as a child of the USB emulator; nil (after saying why) when the emulator
    /// cannot run here and this is not CI.
    func runThroughUSB(_ scripts: [[String]], emulator: BoardEmulatorProcess, extra: [String] = []) throws -> ChildRun? {
        guard USBEmulator.isAvailable(for: "the board emulator over emulated USB") else { return nil }
        // One child per harness run: a shell running the xbar commands in order.
        let xbar = try XbarExecutable.path()
        let commands = scripts.map { ([xbar] + $0).map { "'\($0)'" }.joined(separator: " ") }
        return try USBEmulator.run(board: emulator.devicePath, serialNumber: "XB0042", options: extra,
                                   child: ["/bin/sh", "-c", commands.joined(separator: " && ")], limit: .seconds(120))
    }

    @Test("IDENTIFY, PULSE and READ reach the emulator through real libusb and an emulated USB device")
    func identifyPulseRead() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64")
        let board = ["--board", "usb:1209:58BA:XB0042", "--instrument", "usb-4x64"]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-usb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let map = folder.appendingPathComponent("tile1.npy").path
        guard let run = try runThroughUSB([
            ["identify"] + board,
            ["pulse"] + board + ["--tile", "1", "--cells", "row:2", "--volts", "2.0", "--width", "1e-6",
                                 "--store", folder.appendingPathComponent("lab.sqlite").path],
            ["pulse"] + board + ["--tile", "1", "--cells", "2:7", "--volts=-2.2", "--width", "1e-6",
                                 "--store", folder.appendingPathComponent("lab.sqlite").path],
            ["read"] + board + ["--tile", "1", "--averages", "8", "--out", map, "--store", folder.appendingPathComponent("lab.sqlite").path],
        ], emulator: emulator) else { return }
        #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
        #expect(run.standardOutput.contains("board          usb:1209:58BA:XB0042"))
        #expect(run.standardOutput.contains("instrument     matches usb-4x64"))
        #expect(run.standardOutput.contains("applied 64 cell-pulses of 2.0 V"))
        #expect(run.standardOutput.contains("applied 1 cell-pulses of -2.2 V"))
        #expect(run.standardOutput.contains("read 64x64 cells"))
        // The SET row (2 V is 1 V of overdrive, about 15 % of the range per pulse) must read well
        // above the untouched rows, which sit at their Gmin of 1-2 uS; NumPy reads the map.
        let check = try runChild("/usr/bin/env", ["python3", "-c", """
            import sys, numpy as np
            m = np.load(sys.argv[1])
            others = np.median(np.delete(m, 2, axis=0))
            print(m.shape, np.median(m[2]), others)
            sys.exit(0 if m.shape == (64, 64) and np.median(m[2]) > 3 * others else 1)
            """, map])
        #expect(check.status == 0, "\(check.standardOutput) \(check.standardError)")
        let (status, log) = emulator.stop()
        #expect(status == 0)
        // Three sessions: each opens with STATUS and IDENTIFY; two pulses ran once each.
        #expect(log.contains("stopped after"), "\(log)")
    }

    @Test("unplugging the USB board mid-run gives a clear error, not a hang")
    func unplug() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--real-time"])
        let board = ["--board", "usb:1209:58BA", "--instrument", "usb-4x64"]
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-usb-unplug-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) } }
        // Pulse a whole tile again and again; the device disappears 1.5 s in.
        let pulses = Array(repeating: ["pulse"] + board + ["--cells", "all", "--volts", "1.5", "--width", "1e-6", "--store", store], count: 400)
        guard let run = try runThroughUSB(pulses, emulator: emulator, extra: ["--unplug-after", "1.5"]) else { return }
        #expect(run.status != 0)
        #expect(!run.killed, "the client hung after the unplug")
        #expect(run.elapsed < .seconds(60))
        let text = run.standardError
        #expect(text.contains("usb:1209:58BA"), "\(text)")
        #expect(text.lowercased().contains("no device") || text.lowercased().contains("disconnected") || text.contains("not found"), "\(text)")
    }
}

@Suite("--board auto")
struct AutomaticBoardTests {
    @Test("--board auto finds the USB board that matches the instrument's VID and PID")
    func findsUSBBoard() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64")
        guard let run = try EmulatorOverUSBTests().runThroughUSB([
            ["identify", "--board", "auto", "--instrument", "usb-4x64"],
        ], emulator: emulator) else { return }
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("--board auto: found usb:1209:58BA:XB0042"), "\(run.standardError)")
        #expect(run.standardOutput.contains("board          usb:1209:58BA:XB0042"))
    }

    @Test("--board auto without a board falls back to the simulated board and says so loudly")
    func fallsBack() throws {
        let run = try XbarExecutable.run(["identify", "--board", "auto", "--instrument", "usb-4x64"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("NO usb-4x64 BOARD FOUND; USING THE SIMULATED BOARD"), "\(run.standardError)")
        #expect(run.standardOutput.contains("board          simulated"))
    }
}
