import Foundation
import Glibc
import Testing

/// `xbar devices` finding a USB serial adapter through libserialport's sysfs discovery, with the
/// adapter emulated by umockdev (this kernel has no USB, so no real adapter can appear).
@Suite("xbar devices with a USB serial adapter")
struct USBSerialAdapterTests {
    /// Builds a umockdev testbed holding one FTDI-style adapter (USB device, interface,
    /// usb-serial device, tty class device) and runs the command after `--` inside it.
    /// umockdev creates the devices' sysfs folders but not the tty's `device` link, which
    /// libserialport follows to the USB IDs, so the script adds it.
    static let adapterScript = """
        import os, shutil, subprocess, sys
        if os.environ.get("XBAR_ADAPTER_PRELOADED") != "1":
            # umockdev checks parent devices through the preload, so the owner runs under it too.
            env = dict(os.environ, XBAR_ADAPTER_PRELOADED="1", LD_PRELOAD="libumockdev-preload.so.0")
            env.pop("UMOCKDEV_DIR", None)
            os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)
        import gi
        gi.require_version("UMockdev", "1.0")
        from gi.repository import UMockdev
        vid, pid, serial = sys.argv[1], sys.argv[2], sys.argv[3]
        child = sys.argv[sys.argv.index("--") + 1:]
        bed = UMockdev.Testbed.new()
        root = bed.get_root_dir()
        code = 1
        try:
            usb = bed.add_device("usb", "usb1/1-1", None,
                ["idVendor", vid, "idProduct", pid, "manufacturer", "FTDI", "product", "FT232R USB UART",
                 "serial", serial, "busnum", "1", "devnum", "3"], ["DEVTYPE", "usb_device"])
            interface = bed.add_device("usb", "1-1:1.0", usb, ["bInterfaceNumber", "00"], ["DEVTYPE", "usb_interface"])
            adapter = bed.add_device("usb-serial", "ttyUSB0", interface, [], [])
            tty = bed.add_device("tty", "tty/ttyUSB0", adapter, ["dev", "188:0"], ["DEVNAME", "/dev/ttyUSB0"])
            os.symlink("../../../ttyUSB0", root + tty + "/device")
            env = dict(os.environ, UMOCKDEV_DIR=root)
            code = subprocess.run(child, env=env).returncode
        finally:
            shutil.rmtree(root, ignore_errors=True)
            sys.stdout.flush()
            # The testbed's destructor aborts when its folder is already gone.
            os._exit(code)
        """

    @Test("an FTDI adapter is listed with its VID:PID, serial number and manufacturer, and marked for the instrument file whose adapter it is")
    func adapterListed() throws {
        guard USBEmulator.isAvailable(for: "xbar devices with an emulated USB serial adapter") else { return }
        let script = FileManager.default.temporaryDirectory
            .appendingPathComponent("xbar-usb-serial-adapter-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).py").path
        try Self.adapterScript.write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        let run = try runChild(USBEmulator.systemPython, [
            script, "0403", "6001", "A12345", "--",
            try XbarExecutable.path(), "devices", "--json", "--instruments-dir", XbarExecutable.instrumentsFolder,
        ], limit: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")

        struct Listing: Decodable {
            struct Port: Decodable {
                var name: String, kind: String, vendorID: String?, productID: String?
                var serialNumber: String?, manufacturer: String?, matches: [String]
            }
            var serialPorts: [Port]
        }
        let listing = try JSONDecoder().decode(Listing.self, from: Data(run.standardOutput.utf8))
        let port = try #require(listing.serialPorts.first { $0.name == "/dev/ttyUSB0" },
                                "output: \(run.standardOutput)")
        #expect(port.kind == "usb")
        #expect(port.vendorID == "0403" && port.productID == "6001")
        #expect(port.serialNumber == "A12345")
        #expect(port.manufacturer == "FTDI")
        // serial-32x32.yaml declares its adapter as 0403:6001.
        #expect(port.matches == ["serial-32x32"])
    }
}
