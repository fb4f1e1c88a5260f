import Foundation
import Testing
import XbarStore

@Suite("xbar calibrate: refused outputs, interruption, resume and refit", .serialized)
struct CalibrateResumeTests {
    let small = ["calibrate", "--board", "sim", "--instrument", "usb-4x64", "--seed", "3", "--cell-count", "8", "--node-count", "8"]

    @Test("an --out in a missing folder or with a wrong extension is refused before anything is measured")
    func badOutput() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let missing = try lab.run(small + ["--out", "no/such/folder/cal.yaml"])
        #expect(missing.status == 64, "\(missing)")
        #expect(missing.standardError.contains("--out no/such/folder/cal.yaml: the folder"), "\(missing)")
        #expect(missing.standardError.contains("does not exist"), "\(missing)")
        let wrong = try lab.run(small + ["--out", "cal.txt"])
        #expect(wrong.status == 64 && wrong.standardError.contains("name a .json, .yaml or .yml file"), "\(wrong)")
        #expect(!FileManager.default.fileExists(atPath: lab.storePath), "nothing was measured or recorded")
    }

    @Test("SIGINT after the last part marks the run interrupted with its parts kept; --resume finishes it; --refit rewrites the same file")
    func interruptResumeRefit() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let process = Process()
        process.executableURL = try XbarExecutable.url()
        process.arguments = small + ["--out", "cal.yaml"]
        process.currentDirectoryURL = lab.url
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["XBAR_INSTRUMENTS": XbarExecutable.instrumentsFolder, "XBAR_STORE": lab.storePath]) { $1 }
        let errURL = lab.url.appendingPathComponent("stderr.txt")
        try Data().write(to: errURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? err.close() }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }

        // Piped, each stage ends with one line; the periphery is the last part measured.
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline,
              !((try? String(contentsOf: errURL, encoding: .utf8))?.contains("array periphery: 1/1") ?? false) {
            usleep(10_000)
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("resume it with:\n  xbar calibrate --resume 1 --store \(lab.storePath)"), "\(stderr)")
        let store = try RunStore(path: lab.storePath)
        #expect(try store.run(1).status == .interrupted)
        #expect(try store.calibrationParts(run: 1) != nil, "the measured parts are kept")
        #expect(!FileManager.default.fileExists(atPath: lab.path("cal.yaml")))

        let resumed = try lab.run(["calibrate", "--resume", "1"])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.standardOutput.contains("resuming the calibration with 3 of 3 parts already measured"), "\(resumed)")
        #expect(try store.run(1).status == .completed)
        let original = try String(contentsOfFile: lab.path("cal.yaml"), encoding: .utf8)
        let withoutTime = { (text: String) in text.split(separator: "\n").filter { !$0.hasPrefix("createdAt:") } }

        // The same calibration not interrupted: the same traces, recorded once, and the same file.
        let straightLab = try LabFolder()
        defer { straightLab.cleanup() }
        let straight = try straightLab.run(small + ["--out", "cal.yaml", "-q"])
        #expect(straight.status == 0, "\(straight)")
        let straightStore = try RunStore(path: straightLab.storePath)
        #expect(try store.traces(run: 1).count == (try straightStore.traces(run: 1).count))
        #expect(try store.pulseResponses(run: 1).count == (try straightStore.pulseResponses(run: 1).count))
        #expect(withoutTime(original) == withoutTime(try String(contentsOfFile: straightLab.path("cal.yaml"), encoding: .utf8)))

        let refit = try lab.run(["calibrate", "--refit", "1", "--out", "refit.yaml"])
        #expect(refit.status == 0, "\(refit)")
        #expect(refit.standardOutput.contains("refitted the stored measurements of run 1; wrote refit.yaml"), "\(refit)")
        let again = try String(contentsOfFile: lab.path("refit.yaml"), encoding: .utf8)
        // The same measurements fit to the same file; only the creation time differs.
        #expect(withoutTime(original) == withoutTime(again))

        let refused = try lab.run(["calibrate", "--resume", "1"])
        #expect(refused.status == 64 && refused.standardError.contains("has completed; nothing to resume"), "\(refused)")
    }
}
