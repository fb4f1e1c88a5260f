import Foundation
import Testing
import XbarStore

@Suite("xbar calibrate and xbar stm, end to end")
struct CalibrateCommandTests {
    @Test("a calibration made over a pseudo-terminal runs the simulated board with --calibration, and another instrument refuses it")
    func calibrateOverPseudoTerminalThenSimulate() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "5"])
        defer { _ = emulator.stop() }
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let calibration = lab.path("cal.json")

        // A small sample and the periphery of one tile keep the serial run short; the recovery
        // itself, every weight tile's columns included, is checked in-process.
        let calibrate = try lab.run(["calibrate", "--board", "serial:\(emulator.devicePath)", "--instrument", "usb-4x64",
                                     "--cell-count", "8", "--node-count", "8", "--periphery-tile", "3",
                                     "--out", calibration, "--store", lab.storePath])
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

        let csv = lab.path("traces.csv")
        let stm = try lab.run(["stm", "--board", "sim", "--instrument", "usb-4x64", "--calibration", calibration,
                               "--nodes", "0:0-0:3", "--amplitudes", "1.3,1.5", "--widths", "1e-6", "--pulses", "10",
                               "--reads", "20", "--interval", "2e-3", "--csv", csv, "--store", lab.storePath])
        #expect(stm.status == 0, "\(stm.standardError)")
        #expect(stm.standardOutput.contains("node 0:3: tau"), "\(stm.standardOutput)")
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        // Header, then 2 points x 4 nodes x 20 reads, plus the settle reads of the reference node.
        #expect(rows.count >= 1 + 2 * 4 * 20)
        #expect(rows.first?.hasPrefix("tile,row,column,point") == true)
        // The stm run keeps the same traces in the store, with the calibration it simulated with.
        let store = try RunStore(path: lab.storePath)
        let stmRun = try #require(try store.runs().first { $0.draft.kind == "stm" })
        #expect(try store.traces(run: stmRun.id).reduce(0) { $0 + $1.conductancesSiemens.count } == rows.count - 1)
        let calibrateRun = try #require(try store.runs().first { $0.draft.kind == "calibrate" })
        // The periphery part overwrote tile 3 (the last weight tile); the run records what it holds.
        let periphery = try #require(json["periphery"] as? [String: Any])
        #expect(periphery["tile"] as? Int == 3)
        let shadow = try #require(try store.shadowMap(run: calibrateRun.id).tiles[3])
        #expect(shadow.siemens.count == 4096 && shadow.siemens.allSatisfy { $0 > 0 && $0 < 200e-6 })
        #expect(stmRun.draft.calibrationID != nil)
        #expect(stmRun.draft.calibrationID == (try store.calibrations(madeBy: calibrateRun.id).first?.id))

        let refused = try lab.run(["stm", "--board", "sim", "--instrument", "serial-32x32", "--calibration", calibration,
                                   "--nodes", "0:0", "--amplitudes", "1.3", "--widths", "1e-6", "--store", lab.storePath])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("made for instrument \"usb-4x64\""), "\(refused.standardError)")
    }

    @Test("a calibration over a pseudo-terminal is stored as a run and registered; program --calibration records it and converges")
    func calibrateThenProgramWithCalibration() throws {
        let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "11"])
        defer { _ = emulator.stop() }
        let lab = try LabFolder()
        defer { lab.cleanup() }

        // 8 cells and 4 nodes with one STM repetition, and one tile's periphery, keep the serial run short.
        let calibrate = try lab.run(["calibrate", "--board", "serial:\(emulator.devicePath)", "--instrument", "usb-4x64",
                                      "--cell-count", "8", "--node-count", "4", "--stm-repetitions", "1", "--tau-groups", "2",
                                      "--periphery-tile", "3", "--out", "cal.json"])
        #expect(calibrate.status == 0, "\(calibrate)")

        // The store on disk holds the calibrate run, its measurements and the registered file.
        let store = try RunStore(path: lab.storePath)
        let runs = try store.runs()
        let calibrateRun = try #require(runs.first { $0.draft.kind == "calibrate" })
        #expect(calibrateRun.status == .completed)
        #expect(calibrateRun.draft.backend == "serial:\(emulator.devicePath)")
        let traces = try store.traces(run: calibrateRun.id)
        #expect(Set(traces.map { [$0.row, $0.column] }).count == 4, "every measured node has traces")
        #expect(traces.allSatisfy { $0.timestampsNanoseconds.count == $0.conductancesSiemens.count })
        #expect(traces.contains { $0.pulseCount > 0 && $0.amplitudeVolts != nil && $0.widthSeconds != nil && $0.pulseEndNanoseconds != nil })
        let curves = try store.pulseResponses(run: calibrateRun.id)
        #expect(Set(curves.map { [$0.tile, $0.row, $0.column] }).count == 8)
        #expect(Set(curves.map(\.polarity)) == ["set", "reset"])
        let made = try store.calibrations(madeBy: calibrateRun.id)
        #expect(made.count == 1)
        let calibration = try #require(made.first)
        #expect(calibration.path == URL(fileURLWithPath: lab.path("cal.json")).standardizedFileURL.path)
        #expect(calibration.instrumentName == "usb-4x64")
        #expect(calibration.formatVersion == 1)
        #expect(calibration.contentDigest.count == 64)
        let data = try #require(FileManager.default.contents(atPath: lab.path("cal.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["runID"] as? String == String(calibrateRun.id), "the file names the run it came from")

        let show = try lab.run(["runs", "show", String(calibrateRun.id)])
        #expect(show.status == 0, "\(show)")
        #expect(show.standardOutput.contains("STM traces  \(traces.count) read trains of 4 nodes"), "\(show)")
        #expect(show.standardOutput.contains("\(curves.count) pulse-response curves of 8 cells"), "\(show)")
        #expect(show.standardOutput.contains("made        calibration \(calibration.id)"), "\(show)")

        let export = try lab.run(["runs", "export", String(calibrateRun.id), "--format", "csv", "--out", "traces.csv"])
        #expect(export.status == 0, "\(export)")
        let rows = try String(contentsOfFile: lab.path("traces.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.first?.hasPrefix("tile,row,column,point") == true)
        #expect(rows.count == 1 + traces.reduce(0) { $0 + $1.conductancesSiemens.count }, "one CSV line per stored read")

        // A small random target, programmed on the simulated board with the calibrated model.
        let target = try lab.python("""
            import numpy
            rng = numpy.random.default_rng(3)
            numpy.save('t.npy', rng.uniform(10e-6, 50e-6, (64, 64)))
            """)
        try #require(target.status == 0, "numpy could not write the target: \(target)")
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--calibration", "cal.json",
                                    "--target", "t.npy", "--tile", "0"])
        #expect(program.status == 0, "\(program)")
        let programRun = try #require(try store.runs().first { $0.draft.kind == "program" })
        #expect(programRun.draft.calibrationID == calibration.id, "the run records the calibration it used")
        let outcomes = try store.outcomes(run: programRun.id)
        #expect(outcomes.count == 64 * 64)
        // usb-4x64 has 0.5 % stuck cells; a usable calibration converges nearly all the rest
        // within the pulse budget (5 % leaves room for cells whose own bounds exclude a target).
        let converged = outcomes.filter { $0.outcome == "converged" }.count
        #expect(Double(converged) >= 0.95 * Double(outcomes.count), "\(converged) of \(outcomes.count) converged")
        let programShow = try lab.run(["runs", "show", String(programRun.id)])
        #expect(programShow.standardOutput.contains("calibration \(calibration.id): \(calibration.path ?? "")"), "\(programShow)")

        // The same file given again is the same calibration, not a second registration.
        let read = try lab.run(["read", "--board", "sim", "--instrument", "usb-4x64", "--calibration", "cal.json",
                                 "--tile", "0", "--out", "map.npy"])
        #expect(read.status == 0, "\(read)")
        #expect(try store.runs().first { $0.draft.kind == "read" }?.draft.calibrationID == calibration.id)
    }
}
