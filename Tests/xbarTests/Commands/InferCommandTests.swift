import Foundation
import Testing
import XbarInstrument
import XbarStore

/// `xbar infer` runs recorded in the run store: the fallback to the chip's twin when the board
/// emulator is killed, and `--resume` after `xbar infer` itself is killed.
///
/// A small model and sample count keep a run to seconds in a debug build: the ternary S4D of
/// the event digits (clocked, batched over samples) on 100 samples, without dither.
@Suite("xbar infer: runs in the store, fallback to the twin, resume", .serialized)
struct InferCommandTests {
    static let sampleCount = 100

    func inferArguments(board: String, lab: LabFolder, extra: [String] = []) -> [String] {
        let examples = XbarExecutable.packageRoot.appendingPathComponent("examples")
        return ["infer", "--engine", "chip", "--board", board, "--instrument", "usb-4x64",
                "--model", examples.appendingPathComponent("event_digits_s4d_ternary.safetensors").path,
                "--data", examples.appendingPathComponent("event_digits_test.safetensors").path,
                "--limit", String(Self.sampleCount), "--dither-pairs", "0", "--program", "--store", lab.storePath,
                // A killed emulator is noticed at once (its terminal hangs up); the margin only
                // keeps a debug-built emulator on a busy machine from counting as lost.
                "--link-timeout", "5"] + extra
    }

    /// A calibration made in another store, by a calibrate run whose id means nothing here.
    func calibrationFromAnotherStore(_ lab: LabFolder) throws -> String {
        let path = lab.path("cal.json")
        let made = try lab.run(["calibrate", "--board", "sim", "--instrument", "usb-4x64", "--seed", "8", "--cell-count", "8",
                                "--node-count", "8", "--out", path, "--store", lab.path("calibration-lab.sqlite")])
        try #require(made.status == 0, "\(made)")
        return path
    }

    @Test("the emulator SIGKILLed mid-run at random moments: the run completes on the twin, every sample once with its backend, accuracy within 2 points")
    func emulatorKilledMidRun() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let calibration = try calibrationFromAnotherStore(lab)
        let store = try RunStore(path: lab.storePath)

        // The uninterrupted chip run. Every emulator of one seed, programmed by the same
        // requests, is the same chip.
        let baselineEmulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3"])
        let baseline = try lab.run(inferArguments(board: "serial:\(baselineEmulator.devicePath)", lab: lab,
                                                  extra: ["--calibration", calibration]), limit: .seconds(240))
        _ = baselineEmulator.stop()
        try #require(baseline.status == 0, "\(baseline)")
        let baselineRun = try #require(try store.runs().first { $0.draft.kind == "infer" })
        let baselineSamples = try store.inferenceSamples(run: baselineRun.id)
        #expect(baselineSamples.count == Self.sampleCount)
        #expect(Set(baselineSamples.map(\.backend)) == ["serial:\(baselineEmulator.devicePath)"])
        let baselineAccuracy = Double(baselineSamples.filter { $0.prediction == $0.label }.count) / Double(Self.sampleCount)

        var random = SystemRandomNumberGenerator()
        for trial in 0..<3 {
            let emulator = try BoardEmulatorProcess(instrument: "usb-4x64", extraArguments: ["--seed", "3"])
            let board = "serial:\(emulator.devicePath)"
            let runsBefore = try store.runs().count
            let lastRunBefore = try store.runs().first?.id ?? 0
            // A random moment after the first chunk is recorded and before the last one.
            let delay = Duration.milliseconds(Int.random(in: 0...2500, using: &random))
            var firstChunkAt: ContinuousClock.Instant?
            var lastPoll = ContinuousClock.now
            var killedAfter = 0
            let run = try lab.run(inferArguments(board: board, lab: lab, extra: ["--calibration", calibration]),
                                  limit: .seconds(240)) {
                guard emulator.process.isRunning else { return false }
                if let firstChunkAt {
                    if ContinuousClock.now - firstChunkAt >= delay {
                        killedAfter = (try? store.runs().first { $0.draft.kind == "infer" }.map { try store.inferenceSamples(run: $0.id).count }) ?? 0
                        emulator.kill()
                    }
                } else if ContinuousClock.now - lastPoll > .milliseconds(20) {
                    lastPoll = .now
                    // The infer run starts before the program run it makes: the newest infer run.
                    if let newest = try? store.runs().first(where: { $0.draft.kind == "infer" }), newest.id > lastRunBefore,
                       (try? store.inferenceSamples(run: newest.id).count) ?? 0 > 0 {
                        firstChunkAt = .now
                    }
                }
                return false
            }
            let wasRunning = emulator.process.isRunning
            let (emulatorStatus, emulatorErrors) = emulator.stop()
            #expect(run.status == 0, "trial \(trial): \(run)\nemulator running until the end: \(wasRunning), exit \(emulatorStatus): \(emulatorErrors)")
            #expect(!emulator.process.isRunning)
            #expect(run.standardError.contains("BOARD LOST"), "trial \(trial): \(run.standardError)")
            #expect(run.standardError.contains("TWIN: twin of run"), "trial \(trial): \(run.standardError)")

            let runs = try store.runs()
            let inferRun = try #require(runs.first { $0.draft.kind == "infer" })
            // An infer run, the program run it made, and a touch-up run linked to it when pairs drifted
            // between programming and inference.
            let newRuns = runs.filter { $0.id > lastRunBefore }
            let touchUps = newRuns.filter { $0.draft.kind == "touch-up" }
            #expect(runs.count == runsBefore + newRuns.count)
            #expect(newRuns.map(\.draft.kind).sorted() == (["infer", "program"] + touchUps.map { _ in "touch-up" }).sorted(),
                    "trial \(trial): \(newRuns.map(\.draft.kind))")
            #expect(touchUps.count <= 1)
            #expect(touchUps.allSatisfy { $0.draft.argumentsJSON.contains("\"touchUpFor\":\"infer run \(inferRun.id)\"") })
            #expect(inferRun.status == .completed)
            #expect(inferRun.message?.contains("board lost at sample") == true, "\(inferRun.message ?? "")")
            let samples = try store.inferenceSamples(run: inferRun.id)
            // Every sample exactly once (the store's key refuses a second record of a sample).
            #expect(samples.map(\.sample) == Array(0..<Self.sampleCount), "trial \(trial)")
            let onChip = samples.filter { $0.backend == board }
            let onTwin = samples.filter { $0.backend.hasPrefix("twin of run") }
            #expect(onChip.count + onTwin.count == Self.sampleCount, "every sample names the chip or the twin")
            // The twin starts from where this run's preparation read the chip's cells, not from the verify.
            #expect(onTwin.allSatisfy { $0.backend.hasSuffix("; cells as read back in run \(inferRun.id))") }, "\(onTwin.first?.backend ?? "")")
            #expect(!onTwin.isEmpty && onChip.count >= 4, "trial \(trial): \(onChip.count) on the chip, \(onTwin.count) on the twin\n\(run)")
            // The twin took over from the chunk in flight: every chip sample precedes every twin sample,
            // and the chip computed no sample after the kill beyond the chunk it had finished.
            #expect((onChip.map(\.sample).max() ?? -1) < (onTwin.map(\.sample).min() ?? Self.sampleCount))
            #expect(onChip.count <= killedAfter + 4, "trial \(trial): \(onChip.count) chip samples, \(killedAfter) recorded at the kill")
            let accuracy = Double(samples.filter { $0.prediction == $0.label }.count) / Double(Self.sampleCount)
            #expect(abs(accuracy - baselineAccuracy) <= 0.02 + 1e-9,
                    "trial \(trial): \(accuracy * 100) % against \(baselineAccuracy * 100) % uninterrupted")

            let show = try lab.run(["runs", "show", String(inferRun.id)])
            #expect(show.standardOutput.contains("\(Self.sampleCount) of \(Self.sampleCount) recorded"), "\(show)")
            #expect(show.standardOutput.contains("\(onTwin.count) samples: twin of run"), "\(show)")
            #expect(show.standardOutput.contains("confusion"), "\(show)")
        }

        // The per-sample table of the last run.
        let last = try #require(try store.runs().first { $0.draft.kind == "infer" })
        let export = try lab.run(["runs", "export", String(last.id), "--format", "csv", "--out", "samples.csv"])
        #expect(export.status == 0, "\(export)")
        let lines = try String(contentsOfFile: lab.path("samples.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + Self.sampleCount)
        #expect(lines.first?.hasPrefix("sample,label,prediction,correct,backend") == true)
        #expect(lines.filter { $0.contains("\"twin of run") }.count == (try store.inferenceSamples(run: last.id)).filter { $0.backend.hasPrefix("twin") }.count)
    }

    @Test("xbar infer SIGKILLed mid-run resumes with --resume computing only the samples not recorded, and refuses a changed data file")
    func killAndResume() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let store = try RunStore(path: lab.storePath)
        // The data set copied into the lab, so that the test can change it.
        let data = lab.path("digits.safetensors")
        try FileManager.default.copyItem(atPath: XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_test.safetensors").path,
                                         toPath: data)
        var arguments = inferArguments(board: "sim", lab: lab)
        arguments[arguments.firstIndex(of: "--data")! + 1] = data

        var random = SystemRandomNumberGenerator()
        let stopAt = Int.random(in: 8...40, using: &random)
        var lastPoll = ContinuousClock.now
        let killed = try lab.run(arguments, limit: .seconds(240)) {
            guard ContinuousClock.now - lastPoll > .milliseconds(10) else { return false }
            lastPoll = .now
            return ((try? store.inferenceSamples(run: 1).count) ?? 0) >= stopAt
        }
        #expect(killed.killed, "\(killed)")
        let run = try store.run(1)
        #expect(run.draft.kind == "infer" && run.status == .running)
        let before = try store.inferenceSamples(run: 1)
        #expect(before.count >= stopAt && before.count < Self.sampleCount)
        #expect(before.map(\.sample) == Array(0..<before.count), "chunks are recorded in order, whole")

        // A changed data file is refused, naming it.
        let original = try Data(contentsOf: URL(fileURLWithPath: data))
        try (original + Data([0])).write(to: URL(fileURLWithPath: data))
        let refused = try lab.run(["infer", "--resume", "1", "--store", lab.storePath])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("the data file \(data) changed"), "\(refused)")
        try original.write(to: URL(fileURLWithPath: data))

        let resumed = try lab.run(["infer", "--resume", "1", "--store", lab.storePath], limit: .seconds(240))
        #expect(resumed.status == 0, "\(resumed)")
        let computed = Self.sampleCount - before.count
        #expect(resumed.standardOutput.contains("computed \(computed) samples in this process; \(before.count) were recorded before"),
                "\(resumed)")
        let after = try store.inferenceSamples(run: 1)
        #expect(after.map(\.sample) == Array(0..<Self.sampleCount))
        // What was recorded before the kill is kept as it was, not computed again.
        #expect(Array(after.prefix(before.count)) == before)
        #expect(try store.run(1).status == .completed)

        // Each preparation touched up the pairs past the threshold (stuck cells at least) in a
        // run of its own, linked to the infer run, every pulse journalled against a cell's record.
        let touchUps = try store.runs().filter { $0.draft.kind == "touch-up" && $0.draft.argumentsJSON.contains("\"touchUpFor\":\"infer run 1\"") }
        #expect(touchUps.count == 2, "\(touchUps.map(\.id))")
        #expect(resumed.standardOutput.contains("touch-up: "), "\(resumed)")
        for r in touchUps {
            #expect(r.status == .completed, "touch-up run \(r.id): \(r.status)")
            let outcomes = try store.outcomes(run: r.id)
            #expect(!outcomes.isEmpty && outcomes.count < 4 * 4096)
            #expect(try store.appliedPulses(run: r.id) == outcomes.reduce(0) { $0 + $1.pulses })
        }
    }

    @Test("a run that mapped the S4D's on-chip decay as a, recorded before a - 1, is refused on resume rather than finished with the other mapping")
    func resumeOfEarlierDecayMappingRefused() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let store = try RunStore(path: lab.storePath)
        let examples = XbarExecutable.packageRoot.appendingPathComponent("examples")
        let model = examples.appendingPathComponent("event_digits_s4d_ternary.safetensors").path
        let data = examples.appendingPathComponent("event_digits_test.safetensors").path
        func digest(_ path: String) throws -> String { SHA256Hex.digest([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))) }
        // The arguments as such a run recorded them: no "decayIncrements" key.
        let arguments: [String: Any] = [
            "model": model, "modelDigest": try digest(model), "data": data, "dataDigest": try digest(data),
            "classNames": (0..<10).map(String.init), "sampleCount": 10, "board": "sim", "instrument": "usb-4x64", "seed": 1,
            "program": true, "readout": "calibrated", "ditherPairs": 0, "decayOnChip": true, "defectThresholdSiemens": 3e-6,
            "weightScaling": "per-output", "fallback": "none", "chunkSize": 10,
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: arguments), as: UTF8.self)
        let run = try store.startRun(RunDraft(kind: "infer", user: "tester", backend: "simulated", instrumentName: "usb-4x64", argumentsJSON: json))
        let refused = try lab.run(["infer", "--resume", String(run), "--store", lab.storePath])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("with the decay mapped as a, before it was mapped as a - 1"), "\(refused)")
        #expect(try store.run(run).status == .running, "the refused run is left as it was")
    }

    @Test("--board auto with no board attached runs on the twin of the newest programming run, announced; with none it refuses")
    func automaticBoard() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        var arguments = inferArguments(board: "auto", lab: lab)
        arguments[arguments.firstIndex(of: "--limit")! + 1] = "8"
        arguments.removeAll { $0 == "--program" }
        let refused = try lab.run(arguments)
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("no programming run of a usb-4x64 board"), "\(refused)")

        // A programming run: the simulated board programmed by infer --program.
        var program = inferArguments(board: "sim", lab: lab)
        program[program.firstIndex(of: "--limit")! + 1] = "4"
        let programmed = try lab.run(program, limit: .seconds(240))
        try #require(programmed.status == 0, "\(programmed)")
        let store = try RunStore(path: lab.storePath)
        let programRun = try #require(try store.runs().first { $0.draft.kind == "program" })

        let auto = try lab.run(arguments, limit: .seconds(240))
        #expect(auto.status == 0, "\(auto)")
        #expect(auto.standardError.contains("--board auto: NO usb-4x64 BOARD FOUND; USING THE CHIP'S DIGITAL TWIN: twin of run \(programRun.id)"),
                "\(auto.standardError)")
        let run = try #require(try store.runs().first { $0.draft.kind == "infer" })
        let samples = try store.inferenceSamples(run: run.id)
        #expect(samples.count == 8)
        #expect(samples.allSatisfy { $0.backend.hasPrefix("twin of run \(programRun.id) (xbar-usb-4x64 SIM-0001, UNCALIBRATED") },
                "\(samples.map(\.backend))")
        #expect(auto.standardError.contains("NO CALIBRATION OF usb-4x64"), "the uncalibrated twin is announced loudly")
    }

    @Test("a calibration file made in another store works with this one: program and infer register it without its run")
    func calibrationFromElsewhere() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let calibration = try calibrationFromAnotherStore(lab)
        let target = try lab.python("""
            import numpy
            numpy.save('t.npy', numpy.random.default_rng(4).uniform(10e-6, 50e-6, (64, 64)))
            """)
        try #require(target.status == 0, "numpy could not write the target: \(target)")
        // This store has no run 1 (the calibration file names run 1 of the other store).
        let program = try lab.run(["program", "--board", "sim", "--instrument", "usb-4x64", "--calibration", calibration,
                                   "--target", "t.npy", "--tile", "0", "--store", lab.path("other.sqlite")])
        #expect(program.status == 0, "\(program)")
        let store = try RunStore(path: lab.path("other.sqlite"))
        let run = try #require(try store.runs().first)
        let id = try #require(run.draft.calibrationID)
        let record = try store.calibration(id)
        #expect(record.runID == nil, "the file's run id names a run of the store it was made in")
        #expect(record.path == calibration)
    }
}
