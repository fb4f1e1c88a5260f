import ArgumentParser
import Foundation
import XbarSSM

/// Events per second of the digital reference, on one core: the event kernel the reference
/// runs, the layer-wise forward pass the chip-in-loop engine shares, and the NumPy event loop
/// of `tools/reference_forward.py`, side by side on the same samples.
struct ReferenceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Measure the digital reference's events per second against the layer-wise pass and a NumPy event loop.",
        discussion: """
            For every event SSM in the examples folder (or --model): the whole test split (or its \
            first --samples) through the reference's event kernel and through the layer-wise forward pass, the logits of \
            both compared (they must agree bit for bit), and the first --numpy-samples samples \
            through tools/reference_forward.py's NumPy loop in a python3 child (timed inside it, \
            without start-up and file loading). One thread each, timed in CPU seconds of that thread \
            (so a machine shared with other work does not halve the figure; wall time is printed \
            for the kernel too). Also prints the multiply-accumulates \
            per event, so that the events per second can be read against the core's arithmetic rate. \
            --instructions baseline runs the copy of the kernel's loops that every x86-64 runs, to \
            compare it with the AVX2 copy chosen where the CPU has it.

            Example: swift build -c release --product xbar-bench && .build/release/xbar-bench reference
            """)

    @Option(help: "Model files (default: every *_event_ssm_*.safetensors in the examples folder).")
    var model: [String] = []

    @Option(help: "Folder of the example models and data sets.")
    var examples: String = "examples"

    @Option(help: "Test samples run through the kernel and the layer-wise pass (the first N of the split; 0: all of it).")
    var samples: Int = 0

    @Option(help: "Samples timed in the NumPy loop (0: skip it).")
    var numpySamples: Int = 60

    @Option(help: "Repetitions of the whole split through the kernel (the best is kept).")
    var repetitions: Int = 3

    @Option(help: "Vector instructions of the kernel's loops: baseline (any x86-64) or avx2 (default: the widest this CPU runs).")
    var instructions: VectorInstructionSet = .fastest

    func validate() throws {
        if samples < 0 { throw ValidationError("--samples must be 0 or more, got \(samples)") }
        if numpySamples < 0 { throw ValidationError("--numpy-samples must be 0 or more, got \(numpySamples)") }
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
        if !instructions.isSupported { throw ValidationError("this CPU does not run \(instructions.rawValue) instructions") }
    }

    func run() throws {
        var paths = model
        if paths.isEmpty {
            let names = try FileManager.default.contentsOfDirectory(atPath: examples)
            paths = names.filter { $0.contains("_event_ssm_") && $0.hasSuffix(".safetensors") }.sorted().map { "\(examples)/\($0)" }
        }
        guard !paths.isEmpty else { throw ValidationError("no event SSM models in \(examples)") }
        print("Kernel loops: \(instructions.rawValue) instructions (this CPU's widest: \(VectorInstructionSet.fastest.rawValue)).\n")
        print("| model | events | MAC/event | kernel events per CPU-second | layer-wise | NumPy loop | kernel / NumPy | logits equal | accuracy |")
        print("|---|---|---|---|---|---|---|---|---|")
        for path in paths {
            let model = try SSMModel(contentsOf: path)
            guard model.architecture == .eventSSM else { continue }
            let folder = (path as NSString).deletingLastPathComponent
            guard let dataName = model.testDataFile else { throw ValidationError("\(path): names no test_data") }
            let split = try EventDataset(contentsOf: "\(folder)/\(dataName)").samples
            let data = samples > 0 ? Array(split.prefix(samples)) : split
            let engine = ReferenceEngine(model: model, instructions: instructions)
            var (best, bestCPU) = Self.timed { engine.run(data) }
            for _ in 1..<repetitions {
                let (again, cpu) = Self.timed { engine.run(data) }
                if cpu < bestCPU { (best, bestCPU) = (again, cpu) }
            }
            let (layerwise, layerwiseCPU) = Self.timed { engine.runLayerwise(data) }
            let numpy = numpySamples > 0 ? try numpyEventsPerSecond(modelPath: path, dataPath: "\(folder)/\(dataName)") : nil
            let kernelRate = Double(best.eventCount) / bestCPU
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            print("| \(name) | \(best.eventCount) | \(Self.macsPerEvent(model)) | "
                  + String(format: "%.2f M (wall %.2f M) | %.2f M | ", kernelRate / 1e6, Double(best.eventCount) / best.wallSeconds / 1e6,
                                Double(layerwise.eventCount) / layerwiseCPU / 1e6)
                  + (numpy.map { String(format: "%.1f k | %.1fx | ", $0 / 1e3, kernelRate / $0) } ?? "- | - | ")
                  + "\(best.logits == layerwise.logits ? "yes" : "NO") | " + String(format: "%.2f %% |", best.accuracy * 100))
        }
    }

    /// What `work` returns and the CPU seconds this thread spent on it.
    static func timed<T>(_ work: () -> T) -> (T, Double) {
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        let start = now()
        let result = work()
        return (result, now() - start)
    }

    /// Multiply-accumulates of one event through every layer: B and C of each layer.
    static func macsPerEvent(_ model: SSMModel) -> Int {
        model.layers.reduce(0) { $0 + $1.B.rows * $1.B.columns + $1.C.rows * $1.C.columns }
    }

    /// Times `tools/reference_forward.py` on the first samples, inside a python3 child, in CPU
    /// seconds of its thread.
    private func numpyEventsPerSecond(modelPath: String, dataPath: String) throws -> Double {
        let script = """
            import sys, time
            sys.path.insert(0, '.')
            from tools.reference_forward import Model
            from tools.eventio import load_events
            m = Model(sys.argv[1]); es = load_events(sys.argv[2])
            n = min(int(sys.argv[3]), len(es))
            samples = [es.sample(i) for i in range(n)]
            start = time.thread_time()
            for s in samples: m.forward(*s)
            elapsed = time.thread_time() - start
            print(sum(len(s[0]) for s in samples) / elapsed)
            """
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", "-c", script, modelPath, dataPath, String(numpySamples)]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard child.terminationStatus == 0, let rate = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("the NumPy loop failed (python3 with numpy and safetensors, run from the repository root): \(text)")
        }
        return rate
    }
}

extension VectorInstructionSet: ExpressibleByArgument {}
