import Foundation
import Testing
import XbarTransport

/// `xbar devices` against a USB board emulated by umockdev (the real libusb in the child, a
/// fake device underneath) and against a board emulator on a pseudo-terminal.
@Suite("xbar devices", .serialized)
struct DevicesCommandTests {
    /// The emulated board's identity, as an instrument file would give it.
    let vendorProduct = "1209:58BA"
    let serialNumber = "XB0001"

    /// Runs `xbar ARGUMENTS` as the child of the USB emulator, with the emulator's bulk pipe
    /// connected to `board`.
    func underUSBEmulator(board: EchoBoard, emulatorOptions: [String] = [], _ arguments: [String]) throws -> ChildRun {
        try underUSBEmulator(board: board, emulatorOptions: emulatorOptions, child: [try XbarExecutable.path()] + arguments)
    }

    /// Runs the program `child` inside the emulated machine.
    func underUSBEmulator(board: EchoBoard, emulatorOptions: [String] = [], child: [String]) throws -> ChildRun {
        try USBEmulator.run(board: board.path, serialNumber: serialNumber, options: emulatorOptions, child: child, limit: .seconds(60))
    }

    func usbEmulatorReady() -> Bool { USBEmulator.isAvailable(for: "xbar devices over emulated USB") }

    @Test("an emulated USB board is listed with its VID:PID, serial number and strings, and marked with the instrument file it matches")
    func enumeration() throws {
        guard usbEmulatorReady() else { return }
        let board = try EchoBoard()
        defer { board.stop() }
        let run = try underUSBEmulator(board: board, [
            "devices", "--json", "--instruments-dir", XbarExecutable.instrumentsFolder, "--match", "\(vendorProduct)=extra",
        ])
        #expect(run.status == 0, "stderr: \(run.standardError)")

        struct Listing: Decodable {
            struct Device: Decodable {
                var bus: Int, address: Int, vendorID: String, productID: String
                var manufacturer: String?, product: String?, serialNumber: String?, matches: [String]
            }
            var usbDevices: [Device]
        }
        let listing = try JSONDecoder().decode(Listing.self, from: Data(run.standardOutput.utf8))
        #expect(listing.usbDevices.count == 1)
        let device = try #require(listing.usbDevices.first)
        #expect("\(device.vendorID):\(device.productID)" == vendorProduct)
        #expect(device.serialNumber == serialNumber)
        #expect(device.manufacturer == "XbarLab")
        #expect(device.product == "Crossbar Test Board")
        #expect((device.bus, device.address) == (1, 2))
        // usb-4x64.yaml declares 1209:58BA; "extra" comes from --match.
        #expect(device.matches == ["usb-4x64", "extra"])
    }

    @Test("64 KiB sent over USB bulk OUT come back unchanged over bulk IN")
    func bulkRoundTrip() throws {
        guard usbEmulatorReady() else { return }
        let board = try EchoBoard()
        defer { board.stop() }
        let run = try underUSBEmulator(board: board, [
            "devices", "loopback", "--usb", vendorProduct, "--serial-number", serialNumber,
            "--bytes", "65536", "--block", "4096", "--timeout", "10",
        ])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput.contains("bytes: 65536"))
        #expect(run.standardOutput.contains("round trips: 16"))
        #expect(run.standardOutput.contains("(libusb)"))
    }

    @Test("a USB board unplugged mid-transfer is reported as disconnected at once, not at the 10 s deadline")
    func unplug() throws {
        guard usbEmulatorReady() else { return }
        let board = try EchoBoard()
        defer { board.stop() }
        // Small blocks so the unplug lands while a transfer is in flight; a 10 s transfer
        // deadline so reporting at the deadline would be plainly visible.
        let run = try underUSBEmulator(board: board, emulatorOptions: ["--unplug-after", "0.5"], [
            "devices", "loopback", "--usb", vendorProduct, "--bytes", "1000000000", "--block", "64",
            "--timeout", "10", "--seconds", "30",
        ])
        #expect(run.status == 1)
        #expect(run.standardError.contains("disconnected"), "stderr: \(run.standardError)")
        #expect(run.standardError.contains("LIBUSB_ERROR_NO_DEVICE"))
        // Start-up under the emulator takes well under a second here; 5 s leaves room for a
        // loaded machine and still is half the transfer deadline.
        #expect(run.elapsed < .seconds(5), "took \(run.elapsed)")
    }

    @Test("a USB board that never answers makes the bulk IN read time out at its 0.3 s deadline")
    func silentBoard() throws {
        guard usbEmulatorReady() else { return }
        let board = try EchoBoard(echoing: false)
        defer { board.stop() }
        let run = try underUSBEmulator(board: board, [
            "devices", "loopback", "--usb", vendorProduct, "--bytes", "64", "--timeout", "0.3",
        ])
        #expect(run.status == 1)
        #expect(run.standardError.contains("endpoint 0x81: timed out"), "stderr: \(run.standardError)")
        // The whole run, emulator start-up included, takes about 0.7 s here; a read that
        // ignored its deadline would hang until the 60 s limit kills it.
        #expect(run.elapsed < .seconds(5), "took \(run.elapsed)")
        #expect(!run.killed)
    }

    @Test("a second program opening a USB board that is in use is told which program holds it")
    func usbInUse() throws {
        guard usbEmulatorReady() else { return }
        let board = try EchoBoard()
        defer { board.stop() }
        let xbar = try XbarExecutable.path()
        // Both programs run inside the same emulated machine: the first keeps the interface
        // claimed for 3 s, the second tries to claim it meanwhile.
        let script = """
            "$0" devices loopback --usb \(vendorProduct) --seconds 3 --bytes 1000000000 --block 64 >/dev/null &
            first=$!
            sleep 1
            "$0" devices loopback --usb \(vendorProduct) --bytes 64
            echo "second exited $?"
            echo "first pid $first"
            wait
            """
        let run = try underUSBEmulator(board: board, child: ["/bin/sh", "-c", script, xbar])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let firstPID = try #require(run.standardOutput.split(separator: "\n")
            .first { $0.hasPrefix("first pid ") }.map { String($0.dropFirst("first pid ".count)) })
        #expect(run.standardOutput.contains("second exited 1"), "stdout: \(run.standardOutput)")
        #expect(run.standardError.contains("interface 0 is in use by xbar (pid \(firstPID))"),
                "stderr: \(run.standardError)")
    }

    @Test("a USB board that is not plugged in is reported as not found, naming the VID:PID")
    func missingUSBDevice() throws {
        let run = try XbarExecutable.run(["devices", "loopback", "--usb", "1209:0001"], limit: .seconds(30))
        #expect(run.status == 1)
        #expect(run.standardError.contains("USB device 1209:0001 not found"), "stderr: \(run.standardError)")
    }

    @Test("loopback over a pseudo-terminal serial port returns every byte, through termios")
    func serialLoopback() throws {
        let board = try EchoBoard()
        defer { board.stop() }
        let run = try XbarExecutable.run([
            "devices", "loopback", "--serial", board.path, "--bytes", "65536", "--block", "1024",
        ], limit: .seconds(30))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput.contains("bytes: 65536"))
        #expect(run.standardOutput.contains("termios"))
    }

    @Test("the table lists serial ports and USB devices under their headings")
    func table() throws {
        let run = try XbarExecutable.run(["devices"], limit: .seconds(30))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.standardOutput.hasPrefix("Serial ports:\n"))
        #expect(run.standardOutput.contains("\nUSB devices:\n"))
    }
}
