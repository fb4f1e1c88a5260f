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
        if let reason = TestPrograms.usbEmulatorUnavailableReason {
            if TestPrograms.runsInCI {
                Issue.record("the USB emulator cannot run: \(reason)")
            } else {
                print("SKIPPED the board emulator over emulated USB: \(reason)")
            }
            return nil
        }
        // One child per harness run: a shell running the xbar commands in order.
        let xbar = try TestPrograms.xbar()
        let commands = scripts.map { ([xbar] + $0).map { "'\($0)'" }.joined(separator: " ") }
        return try runChild(TestPrograms.systemPython, [
            TestPrograms.usbEmulator, "--vid", "0x1209", "--pid", "0x58BA", "--serial", "XB0042",
            "--out-ep", "0x01", "--in-ep", "0x81", "--board", emulator.devicePath,
        ] + extra + ["--", "/bin/sh", "-c", commands.joined(separator: " && ")], limit: .seconds(120))
    }

    @Test("IDENTIFY and PULSE reach the emulator through real libusb and an emulated USB device")
    func identifyAndPulse() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64")
        let board = ["--board", "usb:1209:58BA:XB0042", "--instrument", "usb-4x64"]
        guard let run = try runThroughUSB([
            ["identify"] + board,
            ["pulse"] + board + ["--tile", "1", "--cells", "row:2", "--volts", "2.0", "--width", "1e-6"],
            ["pulse"] + board + ["--tile", "1", "--cells", "2,7", "--volts=-2.2", "--width", "1e-6"],
        ], emulator: emulator) else { return }
        #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
        #expect(run.standardOutput.contains("board          usb:1209:58BA:XB0042"))
        #expect(run.standardOutput.contains("instrument     matches usb-4x64"))
        #expect(run.standardOutput.contains("applied 64 cell-pulses of 2.0 V"))
        #expect(run.standardOutput.contains("applied 1 cell-pulses of -2.2 V"))
        let (status, log) = emulator.stop()
        #expect(status == 0)
        // Three sessions: each opens with STATUS and IDENTIFY; two pulses ran once each.
        #expect(log.contains("stopped after"), "\(log)")
    }

    @Test("unplugging the USB board mid-run gives a clear error, not a hang")
    func unplug() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--real-time"])
        let board = ["--board", "usb:1209:58BA", "--instrument", "usb-4x64"]
        // Pulse a whole tile again and again; the device disappears 1.5 s in.
        let pulses = Array(repeating: ["pulse"] + board + ["--cells", "all", "--volts", "1.5", "--width", "1e-6"], count: 400)
        guard let run = try runThroughUSB(pulses, emulator: emulator, extra: ["--unplug-after", "1.5"]) else { return }
        #expect(run.status != 0)
        #expect(!run.killed, "the client hung after the unplug")
        #expect(run.elapsed < .seconds(60))
        let text = run.standardError
        #expect(text.contains("usb:1209:58BA"), "\(text)")
        #expect(text.lowercased().contains("no device") || text.lowercased().contains("disconnected") || text.contains("not found"), "\(text)")
    }
}
