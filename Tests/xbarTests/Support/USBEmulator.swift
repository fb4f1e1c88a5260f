import Foundation
import Testing

/// The umockdev harness in tools/usb-emulator: runs a program inside an emulated machine where
/// a board on a pseudo-terminal appears as a USB device, reached through the real libusb.
enum USBEmulator {
    static var script: String {
        XbarExecutable.packageRoot.appendingPathComponent("tools/usb-emulator/usb_board_emulator.py").path
    }

    /// Debian's Python, which has the GObject bindings umockdev needs.
    static let systemPython = "/usr/bin/python3"

    /// Why umockdev cannot run here, or nil when it can.
    static let unavailableReason: String? = {
        guard FileManager.default.isExecutableFile(atPath: systemPython) else {
            return "\(systemPython) is missing"
        }
        guard let check = try? runChild(systemPython, [
            "-c", "import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev",
        ], limit: .seconds(30)), check.status == 0 else {
            return "umockdev's Python bindings are missing; install them with: apt-get install -y umockdev gir1.2-umockdev-1.0 python3-gi"
        }
        return nil
    }()

    /// Whether umockdev can run here. When it cannot, says why: in CI, where it must run, as a
    /// recorded issue that fails the test; elsewhere as a printed SKIPPED line naming `test`.
    static func isAvailable(for test: String) -> Bool {
        guard let reason = unavailableReason else { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("\(test) cannot run in CI: \(reason)")
        } else {
            print("SKIPPED \(test): \(reason)")
        }
        return false
    }

    /// Runs `child` (a program and its arguments) in a machine where the board served on the
    /// pseudo-terminal `board` is USB device 1209:58BA with `serialNumber`, bulk OUT endpoint
    /// 0x01 and bulk IN 0x81, as instruments/usb-4x64.yaml describes it.
    ///
    /// - Parameter options: more harness options, e.g. `--unplug-after SECONDS`.
    static func run(board: String, serialNumber: String, options: [String] = [], child: [String],
                    limit: Duration) throws -> ChildRun {
        try runChild(systemPython, [
            script, "--vid", "0x1209", "--pid", "0x58BA", "--serial", serialNumber,
            "--out-ep", "0x01", "--in-ep", "0x81", "--board", board,
        ] + options + ["--"] + child, limit: limit)
    }
}
