import Foundation
import Testing
import XbarBoard
import XbarStore
import XbarTransport
import XbarWire
@testable import XbarSSM

/// The digital reference, failing with a board error on chosen calls: what a chip engine does
/// when its board goes away (a lost board surfaces from `run` as a `BoardError`).
final class FailingClassifier: SampleClassifier {
    let engine: ReferenceEngine
    let label: String
    /// Calls (0 is the first) that throw, and what.
    let failures: [Int: BoardError]
    private(set) var calls = 0
    private(set) var samplesComputed = 0

    init(_ engine: ReferenceEngine, label: String, failures: [Int: BoardError] = [:]) {
        self.engine = engine
        self.label = label
        self.failures = failures
    }

    func run(_ samples: [EventSample]) throws -> InferenceRun {
        defer { calls += 1 }
        if let error = failures[calls] { throw error }
        samplesComputed += samples.count
        var run = engine.run(samples)
        run.backend = label
        return run
    }
}

@Suite("the inference job records chunks and hands over to a stand-in when the board is lost")
struct InferenceJobTests {
    static let lost = BoardError.transport(board: "serial:/dev/ttyUSB0", operation: "waiting for a reply",
                                           .disconnected(operation: "read", reason: "end of file", cause: nil))
    static let refused = BoardError.fault(BoardFault(code: .outOfLimits, limit: .mvmVolts, value: 0.4, limitValue: 0.3,
                                                     message: "MVM input above the limit"))

    let model: SSMModel
    let samples: [InferenceJob.IndexedSample]

    init() throws {
        model = try Examples.model("event_digits_s4d_ternary")
        let data = try Examples.testData(of: model)
        samples = data.samples.prefix(22).enumerated().map { InferenceJob.IndexedSample(index: $0.offset, sample: $0.element) }
    }

    func store() throws -> (RunStore, Int64, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try RunStore(path: folder.appendingPathComponent("lab.sqlite").path)
        let run = try store.startRun(RunDraft(kind: "infer", user: "tester", backend: "chip", argumentsJSON: "{}"))
        return (store, run, folder)
    }

    @Test("a board lost in the third chunk: that chunk and the rest are computed on the stand-in, every sample recorded once with its backend")
    func fallsBack() throws {
        let (store, run, folder) = try store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chip = FailingClassifier(ReferenceEngine(model: model), label: "chip", failures: [2: Self.lost])
        let twin = FailingClassifier(ReferenceEngine(model: model), label: "twin")
        var announcements: [String] = []
        let job = InferenceJob(store: store, runID: run, classifier: chip, standIn: { twin }, chunkSize: 4,
                               announce: { announcements.append($0) })
        try job.run(samples)
        let recorded = try store.inferenceSamples(run: run)
        #expect(recorded.map(\.sample) == Array(0..<22))
        #expect(recorded.map(\.backend) == Array(repeating: "chip", count: 8) + Array(repeating: "twin", count: 14))
        #expect(chip.samplesComputed == 8 && twin.samplesComputed == 14, "the chunk in flight is computed again, whole, on the twin")
        #expect(job.computedCount == 22)
        #expect(job.fellBackAt == 8)
        #expect(job.boardLoss == Self.lost)
        #expect(announcements.contains { $0.hasPrefix("BOARD LOST while computing samples 8-11") }, "\(announcements)")
        // The results are the digital reference's: the right prediction for every sample.
        let reference = ReferenceEngine(model: model).run(samples.map(\.sample))
        #expect(recorded.map(\.prediction) == reference.predictions)
    }

    @Test("a refused request ends the job without a stand-in; the chunks before it stay recorded")
    func refusalIsNotALoss() throws {
        let (store, run, folder) = try store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chip = FailingClassifier(ReferenceEngine(model: model), label: "chip", failures: [1: Self.refused])
        var built = false
        let job = InferenceJob(store: store, runID: run, classifier: chip,
                               standIn: { built = true; return FailingClassifier(ReferenceEngine(model: model), label: "twin") },
                               chunkSize: 4)
        #expect(throws: Self.refused) { try job.run(samples) }
        #expect(!built)
        #expect(try store.inferenceSamples(run: run).map(\.sample) == [0, 1, 2, 3])
    }

    @Test("without a stand-in a lost board ends the job; a second job over the pending samples finishes the run, each sample once")
    func resumesWhereItStopped() throws {
        let (store, run, folder) = try store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chip = FailingClassifier(ReferenceEngine(model: model), label: "chip", failures: [3: Self.lost])
        let first = InferenceJob(store: store, runID: run, classifier: chip, standIn: nil, chunkSize: 5)
        #expect(throws: Self.lost) { try first.run(samples) }
        let recorded = try store.inferenceSamples(run: run)
        #expect(recorded.count == 15)
        let pending = InferenceJob.pending(of: samples, recorded: recorded)
        #expect(pending.map(\.index) == Array(15..<22))
        let again = FailingClassifier(ReferenceEngine(model: model), label: "chip")
        let second = InferenceJob(store: store, runID: run, classifier: again, standIn: nil, chunkSize: 5)
        try second.run(pending)
        #expect(again.samplesComputed == 7 && second.computedCount == 7, "nothing recorded is computed again")
        #expect(try store.inferenceSamples(run: run).map(\.sample) == Array(0..<22))
    }

    @Test("a stand-in lost in turn ends the job: there is no second fallback")
    func oneFallback() throws {
        let (store, run, folder) = try store()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chip = FailingClassifier(ReferenceEngine(model: model), label: "chip", failures: [0: Self.lost])
        let twin = FailingClassifier(ReferenceEngine(model: model), label: "twin", failures: [1: Self.lost])
        let job = InferenceJob(store: store, runID: run, classifier: chip, standIn: { twin }, chunkSize: 4)
        #expect(throws: Self.lost) { try job.run(samples) }
        #expect(try store.inferenceSamples(run: run).map(\.backend) == Array(repeating: "twin", count: 4))
    }
}
