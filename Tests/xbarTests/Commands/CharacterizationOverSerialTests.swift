import Foundation
import Testing
import XbarStore

@Suite("retention, endurance and disturb through the board emulator on a pseudo-terminal", .serialized)
struct CharacterizationOverSerialTests {
    /// The `summary` line of a command's `--json` output.
    func summary(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").first { $0.contains("\"summary\"") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("a day of retention over the emulator recovers the instrument's relaxation within 20 %, and a calibration with it lists relaxation as measured")
    func retentionIntoCalibration() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3", "--link", link])
        defer { _ = emulator.stop() }
        // Every wait of the day on the board's clock: the emulator's time runs as fast as it works.
        let retention = try lab.run(["retention", "--board", "serial:\(link)", "--instrument", "usb-4x64", "--cells", "row:0",
                                     "--last", "86.4ks", "--board-timed", "86.4ks", "--json", "-q"])
        #expect(retention.status == 0, "\(retention)")
        let fitted = try #require(try summary(retention.standardOutput)["relaxationSpreadPerDecade"] as? Double)
        // usb-4x64 draws 1 % of the range per square-root decade.
        #expect(abs(fitted / 0.01 - 1) < 0.2, "fitted \(fitted)")

        let csv = lab.path("retention.csv")
        let export = try lab.run(["runs", "export", "1", "--out", csv])
        #expect(export.status == 0, "\(export)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "series,tile,row,column,x,siemens")
        // 64 cells at 4 points per decade from 0.1 s to a day: 25 reads each.
        #expect(lines.count == 1 + 64 * 25)

        let calibrate = try lab.run(["calibrate", "--board", "sim", "--instrument", "usb-4x64", "--cell-count", "8", "--node-count", "4",
                                     "--periphery-probes", "0", "--retention", "1", "--out", lab.path("cal.json"), "--json", "-q"])
        #expect(calibrate.status == 0, "\(calibrate)")
        let notMeasured = try #require(try summary(calibrate.standardOutput)["notMeasured"] as? [String])
        #expect(!notMeasured.contains("nonVolatile.relaxationSpreadPerDecade"), "\(notMeasured)")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: lab.path("cal.json")))) as? [String: Any])
        let device = try #require((file["device"] as? [String: Any])?["nonVolatile"] as? [String: Any])
        let relaxation = try #require(device["relaxationSpreadPerDecade"] as? Double)
        #expect(abs(relaxation / 0.01 - 1) < 0.2, "calibrated \(relaxation)")

        // A run that is no retention run is refused before anything is measured.
        let wrongKind = try lab.run(["calibrate", "--refit", "2", "--retention", "2", "--out", lab.path("again.json")])
        #expect(wrongKind.status == 64)
        #expect(wrongKind.standardError.contains("not a retention run"), "\(wrongKind)")
    }

    @Test("endurance and disturb over the emulator are recorded as runs whose reads export as CSV and NPY")
    func enduranceAndDisturb() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: "serial-32x32", extraArguments: ["--seed", "4", "--link", link])
        defer { _ = emulator.stop() }
        // Grounded, so that no other cell sees the cycles and the emulator counts them in runs.
        let endurance = try lab.run(["endurance", "--board", "serial:\(link)", "--instrument", "serial-32x32", "--cells", "0:0-1:1",
                                     "--cycles", "20000", "--read-every", "5000", "--bias-scheme", "grounded", "--json", "-q"])
        #expect(endurance.status == 0, "\(endurance)")
        let e = try summary(endurance.standardOutput)
        #expect(e["cells"] as? Int == 4)
        let npy = lab.path("window.npy")
        #expect(try lab.run(["runs", "export", "1", "--out", npy]).status == 0)
        // Reads after cycle 1, 5000, 10000, 15000 and 20000, on and off, for 4 cells: 40 rows
        // unless a cell failed early (serial-32x32 draws 1e5 cycles median, lognormal 0.8).
        let shape = try lab.python("import numpy; a = numpy.load('window.npy'); print(a.shape[1], len(a) <= 40, [float(x) for x in sorted(set(a[:, 4]))[:2]])")
        #expect(shape.standardOutput.hasPrefix("6 True [1.0, 5000.0]"), "\(shape)")

        let disturb = try lab.run(["disturb", "--board", "serial:\(link)", "--instrument", "serial-32x32", "--schemes", "half-voltage",
                                   "--max-pulses", "4096", "--json", "-q"])
        #expect(disturb.status == 0, "\(disturb)")
        let counts = try #require(try summary(disturb.standardOutput)["medianPulses"] as? [String: Any])
        // A 2.52 V pulse leaves its V/2 neighbours 0.14 V under their 1.4 V threshold: some
        // hundreds of pulses (in doubling rounds) move them by 1 %.
        let halfVoltage = try #require(counts["halfVoltage"] as? Int)
        #expect((128...2048).contains(halfVoltage), "\(counts)")
        let runs = try RunStore(path: lab.storePath).runs()
        #expect(Set(runs.map(\.draft.kind)) == ["endurance", "disturb"])
        #expect(runs.allSatisfy { $0.status == .completed })
    }
}
