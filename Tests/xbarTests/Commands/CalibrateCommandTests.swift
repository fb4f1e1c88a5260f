import Foundation
import Testing

@Suite("xbar calibrate and xbar stm, end to end")
struct CalibrateCommandTests {
    @Test("a calibration made over a pseudo-terminal runs the simulated board with --calibration, and another instrument refuses it")
    func calibrateOverPseudoTerminalThenSimulate() throws {
        let xbar = try XbarExecutable.url().path
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5"])
        defer { _ = emulator.stop() }
        let directory = NSTemporaryDirectory() + "xbar-calibrate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let calibration = directory + "/cal.json"

        // A small sample keeps the serial run short; the recovery itself is checked in-process.
        let calibrate = try runChild(xbar, ["calibrate", "--board", "serial:\(emulator.devicePath)", "--instrument", "usb-4x64",
                                            "--cells", "8", "--nodes", "8", "--out", calibration], limit: .seconds(300))
        #expect(calibrate.status == 0, "\(calibrate.standardError)")
        #expect(calibrate.standardOutput.contains("STM time constants"), "\(calibrate.standardOutput)")
        #expect(calibrate.standardOutput.contains("held-out errors"))

        let data = try #require(FileManager.default.contents(atPath: calibration))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((json["instrument"] as? [String: Any])?["name"] as? String == "usb-4x64")
        #expect(json["backend"] as? String == "serial:\(emulator.devicePath)")
        #expect((json["nodes"] as? [Any])?.count == 8)
        #expect((json["cells"] as? [Any])?.count == 8)
        let heldOut = try #require(json["heldOut"] as? [String: Any])
        // Even 8 cells and 8 nodes predict held-out data within 10 % of its range.
        #expect((heldOut["nonVolatileRelativeRMS"] as? Double ?? 1) < 0.1, "\(heldOut)")
        #expect((heldOut["stmRelativeRMS"] as? Double ?? 1) < 0.1, "\(heldOut)")

        let csv = directory + "/traces.csv"
        let stm = try runChild(xbar, ["stm", "--board", "sim", "--instrument", "usb-4x64", "--calibration", calibration,
                                      "--nodes", "0:0-0:3", "--amplitudes", "1.3,1.5", "--widths", "1e-6", "--pulses", "10",
                                      "--reads", "20", "--interval", "2e-3", "--csv", csv])
        #expect(stm.status == 0, "\(stm.standardError)")
        #expect(stm.standardOutput.contains("node 0:3: tau"), "\(stm.standardOutput)")
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        // Header, then 2 points x 4 nodes x 20 reads, plus the settle reads of the reference node.
        #expect(rows.count >= 1 + 2 * 4 * 20)
        #expect(rows.first?.hasPrefix("tile,row,column,point") == true)

        let refused = try runChild(xbar, ["stm", "--board", "sim", "--instrument", "serial-32x32", "--calibration", calibration,
                                          "--nodes", "0:0", "--amplitudes", "1.3", "--widths", "1e-6"])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("made for instrument \"usb-4x64\""), "\(refused.standardError)")
    }
}
