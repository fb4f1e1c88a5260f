import Foundation
import Testing

/// `xbar calibrate` and `xbar stm` on the board whose STM rows are four device classes, run as
/// separate processes the way a user runs them.
@Suite("xbar calibrate and xbar stm on STM device classes")
struct DeviceClassCommandTests {
    static let shipped = XbarExecutable.packageRoot.appendingPathComponent("examples/usb-4x64-multitau.calibration.json").path

    static func json(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path) is missing")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("the command in examples/README.md reproduces the shipped calibration: same device model, node fits, groups and held-out errors")
    func shippedCalibrationIsReproducible() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let out = lab.path("multitau.json")
        // The periphery on the last weight tile alone, as the file was made: its SHA-256 is bound
        // into the two board-trained models, and their engine measures the weight tiles' columns
        // itself before inference (its readout calibration).
        let run = try lab.run(["calibrate", "--board", "sim", "--instrument", "usb-4x64-multitau", "--seed", "1", "--periphery-tile", "3", "--out", out])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("group 0: tau 0.003066 s (0.001832 to 0.004472 s, spread 18.4 %), 64 nodes (wox_3ms 64)"), "\(run.standardOutput)")
        let made = try Self.json(out), shipped = try Self.json(Self.shipped)
        // Only when and in which run store it was made may differ.
        for key in ["device", "nodes", "cells", "timeConstantGroups", "heldOut", "uncertainties", "notMeasured", "instrument", "backend", "periphery"] {
            let a = try JSONSerialization.data(withJSONObject: try #require(made[key]), options: [.sortedKeys, .fragmentsAllowed])
            let b = try JSONSerialization.data(withJSONObject: try #require(shipped[key]), options: [.sortedKeys, .fragmentsAllowed])
            #expect(a == b, "\(key) differs from the shipped calibration")
        }
    }

    @Test("xbar stm fits nodes of every row of the multitau board from its calibration and groups them by class")
    func stmOnEveryRow() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let run = try lab.run(["stm", "--board", "sim", "--instrument", "usb-4x64-multitau", "--calibration", Self.shipped,
                               "--nodes", "0:0-3:2", "--amplitudes", "1.3", "--widths", "1e-6", "--pulses", "20",
                               "--reads", "200", "--interval", "1e-3", "--repetitions", "2"])
        #expect(run.status == 0, "\(run.standardError)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        for (row, name) in ["wox_3ms", "wox_10ms", "wox_30ms", "wox_90ms"].enumerated() {
            let nodes = lines.filter { $0.hasPrefix("node \(row):") }
            #expect(nodes.count == 3, "\(run.standardOutput)")
            #expect(nodes.allSatisfy { $0.hasSuffix("(\(name))") }, "\(nodes)")
        }
        // Four groups of three, one per class: their centres lie near 3, 10, 30 and 90 ms.
        let groups = lines.filter { $0.hasPrefix("group ") }
        #expect(groups.count == 4, "\(run.standardOutput)")
        #expect(groups.allSatisfy { $0.hasSuffix(", 3 nodes") }, "\(groups)")
        let centres = groups.compactMap { Double($0.split(separator: " ")[3]) }
        #expect(centres.count == 4)
        for (centre, tau) in zip(centres, [3e-3, 10e-3, 30e-3, 90e-3]) {
            #expect(centre > tau * 0.6 && centre < tau * 1.5, "\(groups)")
        }
    }

    @Test("a calibration without the instrument's STM device classes is refused, naming them")
    func calibrationWithoutClassesRefused() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        var file = try Self.json(Self.shipped)
        var device = try #require(file["device"] as? [String: Any])
        device["shortTermMemoryClasses"] = nil
        file["device"] = device
        let edited = lab.path("without-classes.json")
        try JSONSerialization.data(withJSONObject: file).write(to: URL(fileURLWithPath: edited))
        let run = try lab.run(["stm", "--board", "sim", "--instrument", "usb-4x64-multitau", "--calibration", edited,
                               "--nodes", "0:0", "--amplitudes", "1.3", "--widths", "1e-6"])
        #expect(run.status != 0)
        #expect(run.standardError.contains("device.shortTermMemoryClasses has no wox_10ms, wox_30ms, wox_3ms, wox_90ms, which the instrument's STM rows use"),
                "\(run.standardError)")
    }
}
