import Foundation
import Testing
@testable import XbarSSM

@Suite("digital reference engine")
struct ReferenceEngineTests {
    /// The reference logits come from `tools/reference_forward.py` in float64. The Swift engine
    /// does the same operations in the same order, except that NumPy's matrix products may sum
    /// in a different order (BLAS blocking): a few ulps per product, amplified by at most a few
    /// hundred events of recurrence. 1e-9 of the sample's largest logit leaves room for that and
    /// still catches any real deviation (a wrong rounding mode or an off-by-one event changes
    /// logits by far more than 1e-6).
    @Test("logits match the Python reference's to 1e-9 of the largest logit, for every shipped model")
    func logitsMatchPythonReference() throws {
        let references = try SafeTensorsFile(contentsOf: Examples.referenceOutputs)
        let stems = try Examples.modelsWithReferenceLogits()
        #expect(!stems.isEmpty, "examples/reference_outputs.safetensors holds no logits")
        for stem in stems {
            let model = try Examples.model(stem)
            let data = try Examples.testData(of: model)
            let shape = try references.info("\(stem).logits").shape
            let expected = try references.doubles("\(stem).logits")
            #expect(shape.count == 2 && shape[1] == model.classNames.count)
            let n = shape[0]
            let run = ReferenceEngine(model: model).run(Array(data.samples.prefix(n)))
            #expect(run.logits.count == n)
            var worst = 0.0
            for s in 0..<n {
                let want = Array(expected[(s * shape[1])..<((s + 1) * shape[1])])
                let scale = want.map(abs).max() ?? 1
                for (a, b) in zip(run.logits[s], want) { worst = max(worst, abs(a - b) / scale) }
            }
            #expect(worst <= 1e-9, "\(stem): largest relative logit difference \(worst)")
        }
    }

    /// The accuracy a model file reports was measured by the training code in float32; the
    /// float64 reference may flip a sample whose two best logits lie within float32 rounding of
    /// each other. One sample of the test split is allowed to differ for that reason.
    @Test("on the full test split the reference reproduces each model's reported accuracy to within one sample")
    func reproducesReportedAccuracy() throws {
        for stem in try Examples.modelsWithReferenceLogits() {
            let model = try Examples.model(stem)
            guard let reported = model.reportedTestAccuracy else {
                Issue.record("\(stem) reports no test_accuracy")
                continue
            }
            let data = try Examples.testData(of: model)
            let run = ReferenceEngine(model: model).run(data.samples)
            #expect(abs(run.accuracy - reported) <= 1.0 / Double(data.count) + 1e-12,
                    "\(stem): reference accuracy \(run.accuracy), the file reports \(reported)")
        }
    }
}

@Suite("the reference's event kernel")
struct EventSSMKernelTests {
    /// The instruction sets this CPU runs: both where it has AVX2 (asserted from the kernel's own
    /// CPU flags, so that a broken check cannot leave the wide copy untested), the baseline alone
    /// elsewhere.
    static var runnable: [VectorInstructionSet] { VectorInstructionSet.allCases.filter(\.isSupported) }

    @Test("the CPU check picks AVX2 exactly where the operating system lists it among the CPU's flags")
    func dispatchFollowsCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let hasAVX2 = flags.split(separator: " ").contains("avx2")
        #expect(VectorInstructionSet.fastest == (hasAVX2 ? .avx2 : .baseline), "flags: \(flags)")
        #expect(VectorInstructionSet.baseline.isSupported)
        #expect(VectorInstructionSet.avx2.isSupported == hasAVX2)
    }

    /// The kernel and the layer-wise forward pass do the same operations in the same order per
    /// element, so they agree exactly, on float, quantised and board-trained (STM node pairs)
    /// models; so do the kernel's two compiled copies of its loops (baseline x86-64 and AVX2),
    /// the baseline one forced here as on a CPU without AVX2.
    @Test("the event-by-event kernel gives the layer-wise forward pass's logits bit for bit, for every shipped event SSM, on both instruction sets")
    func kernelMatchesLayerwise() throws {
        let stems = try FileManager.default.contentsOfDirectory(atPath: Examples.folder.path)
            .filter { $0.contains("_event_ssm_") && $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
        #expect(stems.count >= 6 && stems.contains { $0.hasSuffix("multitau") }, "float, int8 and board-trained models of both tasks: \(stems)")
        for stem in stems {
            let model = try Examples.model(stem)
            let samples = Array(try Examples.testData(of: model).samples.prefix(40))
            let layerwise = ReferenceEngine(model: model).runLayerwise(samples)
            #expect(layerwise.eventCount > 0)
            for instructions in Self.runnable {
                let fast = ReferenceEngine(model: model, instructions: instructions).run(samples)
                #expect(fast.logits.map { $0.map(\.bitPattern) } == layerwise.logits.map { $0.map(\.bitPattern) }, "\(stem), \(instructions)")
                #expect(fast.eventCount == layerwise.eventCount)
            }
        }
    }
}
