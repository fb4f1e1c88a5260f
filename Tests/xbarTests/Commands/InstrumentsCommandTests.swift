import Foundation
import Testing

/// `xbar instruments` run as a separate process, the way a user runs it.
@Suite("xbar instruments")
struct InstrumentsCommandTests {
    static let instruments = XbarExecutable.instrumentsFolder
    static let fixtures = XbarExecutable.packageRoot.appendingPathComponent("Tests/XbarInstrumentTests/Fixtures").path

    @Test("check on a shipped file prints OK and exits 0")
    func checkGood() throws {
        let run = try XbarExecutable.run(["instruments", "check", "instruments/usb-4x64.yaml"])
        #expect(run.status == 0, "\(run)")
        #expect(run.standardOutput.hasPrefix("instruments/usb-4x64.yaml: OK (usb-4x64, model xbar-usb-4x64, version 1.0.0, digest "), "\(run)")
        #expect(run.standardError == "", "\(run)")
    }

    @Test("check on the multi-time-constant board prints one line per STM device class, in row order")
    func checkDeviceClasses() throws {
        let run = try XbarExecutable.run(["instruments", "check", "instruments/usb-4x64-multitau.yaml"])
        #expect(run.status == 0, "\(run)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(run)")
        #expect(lines[0].hasPrefix("instruments/usb-4x64-multitau.yaml: OK (usb-4x64-multitau, model xbar-usb-4x64-multitau,"), "\(run)")
        #expect(lines[1].hasPrefix("instruments/usb-4x64-multitau.yaml: STM device class wox_3ms: tau 3 ms (spread 18 %)"), "\(run)")
        #expect(lines[1].hasSuffix("; tile 4 row 0"), "\(run)")
        #expect(lines[4].hasPrefix("instruments/usb-4x64-multitau.yaml: STM device class wox_90ms: tau 90 ms (spread 15 %)"), "\(run)")
        #expect(lines[4].hasSuffix("; tile 4 row 3"), "\(run)")
    }

    @Test("check on a broken file names file, key path and problem, and exits 1")
    func checkBroken() throws {
        let broken = "\(Self.fixtures)/bad-number.yaml"
        let run = try XbarExecutable.run(["instruments", "check", broken, "instruments/serial-32x32.yaml"])
        #expect(run.status == 1, "\(run)")
        #expect(run.standardError == "\(broken): limits.max_set_volts: expected a number, got \"abc\" (line 26)\n", "\(run)")
        // The good file after the broken one is still checked.
        #expect(run.standardOutput.hasPrefix("instruments/serial-32x32.yaml: OK"), "\(run)")
    }

    @Test("check reports a YAML syntax error with its line and column")
    func checkSyntax() throws {
        let run = try XbarExecutable.run(["instruments", "check", "\(Self.fixtures)/syntax-error.yaml"])
        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("syntax-error.yaml: line 27, column 2: YAML syntax error"), "\(run)")
    }

    @Test("check prints realism warnings without failing, unless --strict")
    func checkWarnings() throws {
        let file = "\(Self.fixtures)/unrealistic.yaml"
        let lenient = try XbarExecutable.run(["instruments", "check", file])
        #expect(lenient.status == 0, "\(lenient)")
        #expect(lenient.standardOutput.contains("\(file): warning: device.non_volatile.g_min_siemens: Gmin 0.2 uS is outside the realistic range 0.5 uS–5 uS"), "\(lenient)")
        let strict = try XbarExecutable.run(["instruments", "check", "--strict", file])
        #expect(strict.status == 1, "\(strict)")
    }

    @Test("check resolves a bare name through the folder and suggests a near miss")
    func checkByName() throws {
        let good = try XbarExecutable.run(["instruments", "check", "--instruments-dir", Self.instruments, "serial-32x32"])
        #expect(good.status == 0, "\(good)")
        #expect(good.standardOutput.hasPrefix("\(Self.instruments)/serial-32x32.yaml: OK"), "\(good)")
        let typo = try XbarExecutable.run(["instruments", "check", "--instruments-dir", Self.instruments, "serial-23x32"])
        #expect(typo.status == 1, "\(typo)")
        #expect(typo.standardError.contains("did you mean serial-32x32?"), "\(typo)")
    }

    @Test("the list shows name, model, transport, geometry and file of every instrument")
    func list() throws {
        let run = try XbarExecutable.run(["instruments", "--instruments-dir", Self.instruments])
        #expect(run.status == 0, "\(run)")
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(run)")
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "MODEL", "TRANSPORT", "GEOMETRY", "FILE"])
        let usb = try #require(lines.first { $0.hasPrefix("usb-4x64 ") })
        #expect(usb.contains("xbar-usb-4x64") && usb.contains("usb 1209:58BA") && usb.contains("4 x 64x64 1t1r + 4x64 stm")
                && usb.hasSuffix("\(Self.instruments)/usb-4x64.yaml"), "\(usb)")
        let multitau = try #require(lines.first { $0.hasPrefix("usb-4x64-multitau ") })
        #expect(multitau.contains("xbar-usb-4x64-multitau") && multitau.contains("usb 1209:58BB")
                && multitau.contains("4 x 64x64 1t1r + 4x64 stm (4 stm device classes)"), "\(multitau)")
        let serial = try #require(lines.first { $0.hasPrefix("serial-32x32 ") })
        #expect(serial.contains("serial 921600 8N1") && serial.contains("32x32 passive + 1x32 stm"), "\(serial)")
    }

    @Test("without --instruments-dir or XBAR_INSTRUMENTS the folder above the executable is found",
          .enabled(if: XbarExecutable.isInsidePackage, "XBAR_EXECUTABLE names a binary outside this package, which has no instruments folder above it"))
    func listFindsFolderAboveExecutable() throws {
        let elsewhere = FileManager.default.temporaryDirectory
        let run = try XbarExecutable.run(["instruments"], unsetting: ["XBAR_INSTRUMENTS"], currentDirectory: elsewhere)
        // The binary lives under this package's .build folder, below instruments/'s parent.
        #expect(run.status == 0, "\(run)")
        #expect(run.standardOutput.contains("\(Self.instruments)/usb-4x64.yaml"), "\(run)")
    }

    @Test("a broken file in the folder is listed as INVALID and the list exits 1")
    func listWithBrokenFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: "\(Self.fixtures)/bad-number.yaml", toPath: folder.appendingPathComponent("bad-number.yaml").path)
        try FileManager.default.copyItem(atPath: "\(Self.instruments)/usb-4x64.yaml", toPath: folder.appendingPathComponent("usb-4x64.yaml").path)
        let run = try XbarExecutable.run(["instruments", "list"], environment: ["XBAR_INSTRUMENTS": folder.path])
        #expect(run.status == 1, "\(run)")
        #expect(run.standardOutput.contains("bad-number") && run.standardOutput.contains("INVALID"), "\(run)")
        #expect(run.standardOutput.contains("usb 1209:58BA"), "\(run)")
    }
}

extension InstrumentsCommandTests {
    @Test("a missing --instruments-dir folder is an error naming the folder, exit 1")
    func missingFolder() throws {
        let run = try XbarExecutable.run(["instruments", "--instruments-dir", "/nonexistent/instruments"])
        #expect(run.status == 1, "\(run)")
        #expect(run.standardError.contains("/nonexistent/instruments: no such folder (given with --instruments-dir)"), "\(run)")
    }
}
