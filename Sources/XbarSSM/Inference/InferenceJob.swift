import Foundation
import XbarBoard
import XbarJobs
import XbarStore

/// Something that classifies a list of samples on one backend: the engines, seen from a job.
public protocol SampleClassifier {
    /// Runs the samples; the results come back in their order.
    ///
    /// - Throws: `BoardError` (inside whatever the engine throws) when a board fails.
    func run(_ samples: [EventSample]) throws -> InferenceRun
}

extension ChipInLoopEngine: SampleClassifier {}
extension ReferenceEngine: SampleClassifier {}

/// Classifies samples in small chunks on a board, recording every chunk in the run store as
/// it completes, and, when the board is lost mid-run, continuing on a stand-in (the chip's
/// twin).
///
/// A chunk is recorded in one transaction after all of its samples are computed, so a sample is
/// either recorded with its result and the backend that computed it, or not at all: the chunk
/// in flight when the board is lost is computed again, whole, on the stand-in, and a sample is
/// never counted twice. A killed job leaves every completed chunk recorded; running it again
/// over the samples not yet recorded finishes the run (see ``pending(of:recorded:)``).
public final class InferenceJob {
    /// A sample with its index in the data set file.
    public struct IndexedSample: Sendable {
        public var index: Int
        public var sample: EventSample
        public init(index: Int, sample: EventSample) {
            self.index = index
            self.sample = sample
        }
    }

    /// Builds the stand-in the job continues on once the board is lost.
    public typealias StandIn = () throws -> any SampleClassifier

    public let store: RunStore
    public let runID: Int64
    /// Samples computed (and recorded) per transaction.
    public let chunkSize: Int
    /// Told, for people, about the fallback (loudly) and progress.
    public var announce: (String) -> Void
    /// Samples computed by this job (not counting those recorded before it started).
    public private(set) var computedCount = 0
    /// The first sample (data set index) computed on the stand-in, when the job fell back.
    public private(set) var fellBackAt: Int?
    /// Why it fell back.
    public private(set) var boardLoss: BoardError?
    /// What each recorded chunk's engine run reported (requests, arithmetic, state nodes), in order.
    public private(set) var chunkRuns: [InferenceRun] = []
    /// Called after each chunk is recorded, with the samples computed so far (progress).
    public var chunkRecorded: ((_ computed: Int) -> Void)?
    /// Asked before each chunk: true stops the job there with `JobInterrupted`; every chunk
    /// before it is recorded whole, none after is started.
    public var shouldStop: (() -> Bool)?

    private var classifier: any SampleClassifier
    private var standIn: StandIn?

    /// - Parameters:
    ///   - classifier: the engine on the board the run starts on.
    ///   - standIn: builds the stand-in when the board is lost; nil lets a lost board end the job.
    public init(store: RunStore, runID: Int64, classifier: any SampleClassifier, standIn: StandIn?, chunkSize: Int = 4,
                announce: @escaping (String) -> Void = { _ in }) {
        precondition(chunkSize >= 1, "a chunk holds at least one sample")
        self.store = store
        self.runID = runID
        self.classifier = classifier
        self.standIn = standIn
        self.chunkSize = chunkSize
        self.announce = announce
    }

    /// The samples of `all` not yet recorded in `recorded`, in order.
    public static func pending(of all: [IndexedSample], recorded: [InferenceSampleRecord]) -> [IndexedSample] {
        let done = Set(recorded.map(\.sample))
        return all.filter { !done.contains($0.index) }
    }

    /// Computes and records the samples.
    ///
    /// - Throws: a board error that is not a lost board (a refused request), or a lost board
    ///   when there is no stand-in (or the stand-in is lost too); the stand-in's build errors;
    ///   store errors. Chunks recorded before stay recorded.
    public func run(_ samples: [IndexedSample]) throws {
        var start = 0
        while start < samples.count {
            if shouldStop?() == true { throw JobInterrupted() }
            let chunk = Array(samples[start..<min(start + chunkSize, samples.count)])
            let result: InferenceRun
            do {
                result = try classifier.run(chunk.map(\.sample))
            } catch let error as BoardError where error.isBoardLost && standIn != nil {
                let build = standIn!
                standIn = nil
                announce("BOARD LOST while computing samples \(chunk.first!.index)-\(chunk.last!.index): \(error)")
                classifier = try build()
                fellBackAt = chunk.first!.index
                boardLoss = error
                announce("CONTINUING ON THE STAND-IN from sample \(chunk.first!.index): \(samples.count - start) samples left; "
                         + "each sample's record names the backend that computed it")
                continue
            }
            let now = Date()
            let predictions = result.predictions
            try store.saveInferenceSamples(run: runID, chunk.enumerated().map { k, s in
                InferenceSampleRecord(sample: s.index, label: s.sample.label, prediction: predictions[k], logits: result.logits[k],
                                      backend: result.backend, completedAt: now)
            })
            chunkRuns.append(result)
            computedCount += chunk.count
            chunkRecorded?(computedCount)
            start += chunk.count
        }
    }
}
