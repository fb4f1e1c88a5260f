import Foundation
import Testing
import XbarStore

/// Inputs that once crashed `xbar` or left records behind: each is now refused with a message
/// naming the option or field, before a store is created or a board is touched.
@Suite("xbar refuses unusable input before acting", .serialized)
struct HostileInputTests {
    func writeTarget(_ lab: LabFolder) throws {
        let r = try lab.python("import numpy; numpy.save('t.npy', numpy.full((64, 64), 30e-6))")
        #expect(r.status == 0, "python3 with numpy writes the target: \(r)")
    }

    @Test("--settle-seconds 1e300 and stm --settle-seconds 1e300 are refused naming the option and the week limit; no store is created")
    func hugeSettle() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTarget(lab)
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                   "--settle-seconds", "1e300"])
        #expect(program.status != 0 && !program.killed)
        #expect(program.standardError.contains("--settle-seconds: 1e+300 s is outside the waits accepted: 0 or more and at most 604800 s"), "\(program)")
        let stm = try lab.run(["stm", "--board", "sim", "--instrument", "usb-4x64", "--nodes", "0:0", "--amplitudes", "1.2",
                               "--widths", "1e-6", "--settle-seconds", "1e300"])
        #expect(stm.status != 0 && !stm.killed)
        #expect(stm.standardError.contains("--settle-seconds: 1e+300 s is outside the waits accepted"), "\(stm)")
        #expect(!FileManager.default.fileExists(atPath: lab.storePath), "a refused command leaves no store behind")
    }

    @Test("resuming a run recorded with a 1e300 s settle is refused naming --settle-seconds, every time, without a crash")
    func resumeOfPoisonedRun() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let store = try RunStore(path: lab.storePath)
        let arguments = """
            {"board":"sim","seed":1,"instrument":"usb-4x64","target":"t.npy","tile":0,"tolerance":"1%","algorithm":"adaptive",
             "maxPulses":100,"biasScheme":"","settleSeconds":1e300}
            """
        let id = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated (seed 1)", argumentsJSON: arguments))
        for _ in 0..<2 {
            let resume = try lab.run(["program", "--resume", String(id)])
            #expect(resume.status != 0 && !resume.killed)
            #expect(resume.standardError.contains("--settle-seconds: 1e+300 s is outside the waits accepted"), "\(resume)")
        }
        #expect(try store.run(id).status == .running, "the refused resume did not touch the run")
        #expect(try store.journal(run: id).isEmpty)
    }

    @Test("a recorded bias scheme this build does not know is refused by name, not replaced by the instrument's")
    func unknownRecordedScheme() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let store = try RunStore(path: lab.storePath)
        let arguments = """
            {"board":"sim","seed":1,"instrument":"usb-4x64","target":"t.npy","tile":0,"tolerance":"1%","algorithm":"adaptive",
             "maxPulses":100,"biasScheme":"quarter","settleSeconds":0}
            """
        let id = try store.startRun(RunDraft(kind: "program", user: "tester", backend: "simulated (seed 1)", argumentsJSON: arguments))
        let resume = try lab.run(["program", "--resume", String(id)])
        #expect(resume.status != 0)
        #expect(resume.standardError.contains("bias scheme \"quarter\" in the run's arguments is not one of grounded, half, third"), "\(resume)")
    }

    @Test("--tolerance 1e-300 (once a crash after the run was created) is refused before any store exists")
    func tinyTolerance() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTarget(lab)
        for tolerance in ["1e-300", "1e-300%"] {
            let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                 "--tolerance", tolerance])
            #expect(r.status != 0 && !r.killed)
            #expect(r.standardError.contains("--tolerance \(tolerance): a tolerance must be at least"), "\(r)")
        }
        #expect(!FileManager.default.fileExists(atPath: lab.storePath))
    }

    @Test("an .npy whose shape (2^62, 4) overflows is refused naming the file")
    func overflowingNPY() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let made = try lab.python("""
            h = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
            h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\\n'
            open('big.npy', 'wb').write(b'\\x93NUMPY\\x01\\x00' + len(h).to_bytes(2, 'little') + h.encode())
            """)
        #expect(made.status == 0, "\(made)")
        let r = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "big.npy"])
        #expect(r.status != 0 && !r.killed)
        #expect(r.standardError.contains("big.npy: not a valid .npy file: shape (4611686018427387904, 4)"), "\(r)")
    }

    @Test("infer on data sets with a NaN F64 label, a 1e300 channel or an INT64_MAX offset is refused naming the tensor")
    func unusableDataSets() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let data = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_test.safetensors").path
        let model = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_s4d_ternary.safetensors").path
        let made = try lab.python("""
            import numpy as np, safetensors
            from safetensors.numpy import load_file, save_file
            t = load_file('\(data)')
            with safetensors.safe_open('\(data)', 'np') as f: meta = f.metadata()
            a = dict(t); a['labels'] = t['labels'].astype(np.float64); a['labels'][0] = np.nan; save_file(a, 'nan_label.safetensors', meta)
            b = dict(t); b['events_channel'] = t['events_channel'].astype(np.float64); b['events_channel'][0] = 1e300
            save_file(b, 'huge_channel.safetensors', meta)
            c = dict(t); c['sample_offsets'] = t['sample_offsets'].copy(); c['sample_offsets'][1] = np.iinfo(np.int64).max
            save_file(c, 'huge_offset.safetensors', meta)
            """)
        #expect(made.status == 0, "python3 with numpy and safetensors writes the data sets: \(made)")
        let cases = [("nan_label", "nan_label.safetensors: labels: is F64, expected an integer tensor"),
                     ("huge_channel", "huge_channel.safetensors: events_channel: is F64, expected an integer tensor"),
                     ("huge_offset", "huge_offset.safetensors: sample_offsets: offset 1 (9223372036854775807) is beyond the event count")]
        for (name, message) in cases {
            let r = try lab.run(["infer", "--engine", "reference", "--model", model, "--data", "\(name).safetensors",
                                 "--instrument", "usb-4x64"])
            #expect(r.status != 0 && !r.killed)
            #expect(r.standardError.contains(message), "\(name): \(r)")
        }
    }

    @Test("program --read-volts 0.6 above the 0.5 V read limit and read --out into a missing folder are refused before any run or store exists")
    func refusedBeforeAnyRun() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTarget(lab)
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                   "--read-volts", "0.6"])
        #expect(program.status != 0)
        #expect(program.standardError.contains("--read-volts 0.6: instrument usb-4x64 refused: read voltage 0.6 V outside (0, limit] (limits.max_read_volts is 0.5"), "\(program)")
        let inside = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0",
                                  "--read-volts", "0.5", "--max-pulses", "1"])
        #expect(inside.status == 0, "0.5 V is the limit itself and is accepted: \(inside)")
        try FileManager.default.removeItem(atPath: lab.storePath)
        let read = try lab.run(["read", "--board", "sim", "--instrument", "usb-4x64", "--out", "/nonexistent/x.npy"])
        #expect(read.status != 0)
        #expect(read.standardError.contains("--out /nonexistent/x.npy: folder /nonexistent does not exist"), "\(read)")
        #expect(!FileManager.default.fileExists(atPath: lab.storePath), "no store, so no run, was created")
    }

    @Test("infer with a missing --readout-calibration is refused before a run is created or a weight programmed")
    func missingReadoutCalibration() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let model = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_s4d_ternary.safetensors").path
        let data = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_test.safetensors").path
        let r = try lab.run(["infer", "--engine", "chip", "--board", "sim", "--instrument", "usb-4x64", "--model", model, "--data", data,
                             "--limit", "1", "--program", "--readout", "calibrated", "--readout-calibration", lab.path("missing.json")])
        #expect(r.status != 0)
        #expect(r.standardError.contains("missing.json"), "\(r)")
        #expect(!r.standardOutput.contains("programmed tile"), "no weight was programmed: \(r)")
        let list = try lab.run(["runs", "list"])
        #expect(list.standardOutput.contains("no runs"), "\(list)")
    }

    @Test("runs list with a mistyped --store says the store does not exist and creates none")
    func mistypedStore() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let typo = lab.path("lab.sqlitee")
        let r = try lab.run(["runs", "list", "--store", typo])
        #expect(r.status != 0)
        #expect(r.standardError.contains("\(typo): no run store here"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: typo))
    }

    @Test("a store in a read-only file and folder can be listed and shown by a user who cannot write them")
    func readOnlyStore() throws {
        let lab = try LabFolder()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lab.url.path)
            lab.cleanup()
        }
        try writeTarget(lab)
        let read = try lab.run(["read", "--board", "sim", "--instrument", "usb-4x64", "--tile", "0", "--out", "r.npy"])
        #expect(read.status == 0, "\(read)")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: lab.storePath)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: lab.url.path)
        // Root writes through any permission; the check then runs as the unprivileged `nobody`.
        let xbar = try XbarExecutable.path()
        let asRoot = geteuid() == 0
        let setpriv = "/usr/bin/setpriv"
        try #require(!asRoot || FileManager.default.isExecutableFile(atPath: setpriv), "setpriv runs the check as a non-root user")
        for command in [["runs", "list"], ["runs", "show", "1"]] {
            let arguments = command + ["--store", lab.storePath]
            let r = asRoot
                ? try runChild(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", xbar] + arguments, currentDirectory: lab.url)
                : try runChild(xbar, arguments, currentDirectory: lab.url)
            #expect(r.status == 0, "\(r)")
            #expect(r.standardOutput.contains("read") && r.standardOutput.contains("completed"), "\(r)")
        }
    }

    @Test("a store from a newer schema is refused by runs list and by program with both version numbers")
    func newerSchema() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        try writeTarget(lab)
        _ = try RunStore(path: lab.storePath)
        let known = RunStore.schemaVersion
        let edit = try lab.python("""
            import sqlite3; c = sqlite3.connect('lab.sqlite'); c.execute("INSERT INTO grdb_migrations VALUES ('v99: newer')"); c.commit()
            """)
        #expect(edit.status == 0, "\(edit)")
        let message = "schema version \(known + 1), newer than version \(known) this build of xbar knows"
        let list = try lab.run(["runs", "list"])
        #expect(list.status != 0 && list.standardError.contains(message), "\(list)")
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--tile", "0"])
        #expect(program.status != 0 && program.standardError.contains(message), "\(program)")
    }

    @Test("numeric options beyond what can be waited or counted are refused naming the option, before any device is opened")
    func otherNumericOptions() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let model = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_s4d_ternary.safetensors").path
        let data = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_test.safetensors").path
        let cases: [([String], String)] = [
            (["devices", "loopback", "--serial", "/dev/null", "--seconds", "1e300"], "--seconds: 1e+300 s is outside the waits accepted"),
            (["devices", "loopback", "--serial", "/dev/null", "--timeout", "inf"], "The value 'inf' is invalid for '--timeout <timeout>'"),
            (["devices", "loopback", "--serial", "/dev/null", "--baud", "99999999999"], "--baud 99999999999: expected an integer from 50 to 12000000"),
            (["read", "--board", "sim", "--instrument", "usb-4x64", "--out", "r.npy", "--link-timeout", "1e300"],
             "--link-timeout: 1e+300 s is outside the waits accepted"),
            (["read", "--board", "sim", "--instrument", "usb-4x64", "--out", "r.npy", "--averages", "70000"],
             "--averages 70000: expected an integer from 1 to 65535"),
            (["stm", "--board", "sim", "--instrument", "usb-4x64", "--nodes", "0:0", "--amplitudes", "1.2", "--widths", "1e-6",
              "--reads", "70000"], "--reads 70000: expected an integer from 1 to 65535"),
            (["infer", "--engine", "reference", "--model", model, "--data", data, "--instrument", "usb-4x64",
              "--map-out", "/nonexistent/w.npy"], "--map-out /nonexistent/w.npy: folder /nonexistent does not exist"),
            (["infer", "--engine", "chip", "--board", "sim", "--instrument", "usb-4x64", "--model", model, "--data", data,
              "--limit", "1", "--program", "--dither-pairs", "999999999"], "--dither-pairs 999999999: expected an integer from 0 to 256"),
            (["infer", "--engine", "reference", "--model", model, "--data", data, "--defect-threshold-siemens", "nan"],
             "The value 'nan' is invalid for '--defect-threshold-siemens"),
            (["program", "--board", "sim", "--instrument", "usb-4x64", "--target", "t.npy", "--touch-up-accept", "0.01"],
             "--touch-up-accept 0.01: expected a fraction of the tolerance from 0.05 to 1"),
        ]
        for (arguments, message) in cases {
            let r = try lab.run(arguments)
            #expect(r.status != 0 && !r.killed)
            #expect(r.standardError.contains(message), "\(r)")
        }
        #expect(!FileManager.default.fileExists(atPath: lab.storePath))
    }

    @Test("instruments check refuses a spread of 5.0 and max_set_volts 3000 with the rule and its range")
    func impossibleInstrument() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let shipped = try String(contentsOfFile: XbarExecutable.instrumentsFolder + "/usb-4x64.yaml", encoding: .utf8)
        let edited = shipped.replacingOccurrences(of: "max_set_volts: 3.0", with: "max_set_volts: 3000")
            .replacingOccurrences(of: "set_step_fraction: {mean: 0.04, spread: 0.2}", with: "set_step_fraction: {mean: 0.04, spread: 5.0}")
        try edited.write(toFile: lab.path("impossible.yaml"), atomically: true, encoding: .utf8)
        let r = try lab.run(["instruments", "check", lab.path("impossible.yaml")])
        #expect(r.status != 0)
        let output = r.standardOutput + r.standardError
        #expect(output.contains("limits.max_set_volts: must be greater than 0 and at most 20.0 V"), "\(r)")
        #expect(output.contains("device.non_volatile.set_step_fraction.spread: must be between 0 and 1"), "\(r)")
    }
}
