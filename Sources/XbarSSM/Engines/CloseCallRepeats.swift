/// Close calls decided on repeated runs: a sample whose two best classes are nearly tied, against
/// the run-to-run spread of their logits' difference, is run again on the board, and decided on
/// its mean logits over its runs.
///
/// Every run of a sample on the chip draws new read and conversion noise, so a sample whose
/// top-two logit margin is within that noise is decided differently run to run: a lab would get
/// two answers for one sample. The spread is measured here, not assumed: the margin of a
/// sample's first two classes (of its first run) over its runs, pooled over every sample run
/// more than once (``MarginSpread``). Before any spread is measured, the ``pilotSamples``
/// samples with the smallest margins are run a second time. After that, a sample is run again
/// while its mean logits' margin is below ``marginSigmas`` standard errors (the spread over the
/// square root of its runs), up to ``largestRuns`` runs. The runs share the board's requests as
/// the first pass does (an S4D's samples batched, an event SSM's one by one), and the host's
/// sums, means and margins are counted (``HostArithmetic/closeCallDecisions``).
public struct CloseCallRepeats: Hashable, Sendable {
    /// A sample is run again while its margin is below this many standard errors.
    public let marginSigmas: Double
    /// Most runs of one sample, its first included.
    public let largestRuns: Int
    /// Samples run a second time to measure the spread when none is measured yet.
    public let pilotSamples: Int

    /// Refused settings, said for people.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Throws: ``Invalid`` for a margin that is not a positive finite number of standard
    ///   errors, fewer than two runs, or no pilot sample.
    public init(marginSigmas: Double, largestRuns: Int, pilotSamples: Int = 4) throws {
        guard marginSigmas.isFinite && marginSigmas > 0 else {
            throw Invalid(description: "close-call margin: expected a positive number of standard errors, got \(marginSigmas)")
        }
        guard largestRuns >= 2 else {
            throw Invalid(description: "close-call runs: expected at least 2 (a close call run again at least once), got \(largestRuns)")
        }
        guard pilotSamples >= 1 else {
            throw Invalid(description: "close-call pilot: expected at least 1 sample to measure the spread with, got \(pilotSamples)")
        }
        self.marginSigmas = marginSigmas
        self.largestRuns = largestRuns
        self.pilotSamples = pilotSamples
    }

    private init(checked marginSigmas: Double, largestRuns: Int, pilotSamples: Int) {
        self.marginSigmas = marginSigmas
        self.largestRuns = largestRuns
        self.pilotSamples = pilotSamples
    }

    /// Run again below two standard errors, up to eight runs, four pilot samples.
    public static let standard = CloseCallRepeats(checked: 2, largestRuns: 8, pilotSamples: 4)

    /// The logits decided again where they are close calls.
    struct Decision {
        /// Per sample: its mean logits over its runs.
        var logits: [[Double]]
        /// Runs per sample, the first included.
        var runs: [Int]
        /// Host operations the decision took.
        var operations: Int
    }

    /// Decides `first` (one run's logits per sample) again where they are close calls.
    ///
    /// - Parameters:
    ///   - spread: the spread measured so far (by earlier runs of the same engine); samples run
    ///     more than once here are pooled into it.
    ///   - rerun: runs the samples at the given indices once more; their logits in that order.
    /// - Throws: whatever `rerun` throws.
    func decide(_ first: [[Double]], spread: inout MarginSpread, rerun: ([Int]) throws -> [[Double]]) rethrows -> Decision {
        let count = first.count, classes = first.first?.count ?? 0
        guard classes >= 2 else { return Decision(logits: first, runs: [Int](repeating: 1, count: count), operations: 0) }
        var sums = first
        var runs = [Int](repeating: 1, count: count)
        // The spread is measured on each sample's first two classes of its first run.
        let pairs = first.map(Self.topTwo)
        var margins = zip(first, pairs).map { [$0[$1.0] - $0[$1.1]] }
        var operations = count * (classes + 1)
        let before = spread
        while true {
            var ask: [Int]
            if let sigma = spread.sigmaLogits {
                ask = (0..<count).filter { i in
                    guard runs[i] < largestRuns else { return false }
                    let (a, b) = Self.topTwo(sums[i])
                    return (sums[i][a] - sums[i][b]) / Double(runs[i]) < marginSigmas * sigma / Double(runs[i]).squareRoot()
                }
                operations += count * (classes + 4)
            } else {
                ask = Array((0..<count).sorted { margins[$0][0] < margins[$1][0] }.prefix(pilotSamples))
            }
            guard !ask.isEmpty else { break }
            let again = try rerun(ask)
            for (i, l) in zip(ask, again) {
                for c in 0..<classes { sums[i][c] += l[c] }
                runs[i] += 1
                margins[i].append(l[pairs[i].0] - l[pairs[i].1])
            }
            operations += ask.count * (classes + 1)
            spread = before
            for i in 0..<count where runs[i] > 1 {
                spread.add(margins[i])
                operations += 3 * runs[i]
            }
        }
        let logits = (0..<count).map { i in runs[i] == 1 ? sums[i] : sums[i].map { $0 / Double(runs[i]) } }
        operations += runs.filter { $0 > 1 }.count * classes
        return Decision(logits: logits, runs: runs, operations: operations)
    }

    /// The indices of the largest and the second largest logit (the first on ties).
    static func topTwo(_ l: [Double]) -> (Int, Int) {
        var a = 0, b = 1
        if l[1] > l[0] { (a, b) = (1, 0) }
        for c in 2..<max(l.count, 2) {
            if l[c] > l[a] { (a, b) = (c, a) } else if l[c] > l[b] { b = c }
        }
        return (a, b)
    }
}

/// The run-to-run spread of samples' top-two logit margins, pooled over every sample run more
/// than once: the squares of each run's margin off its sample's mean, over the runs beyond
/// each sample's first.
public struct MarginSpread: Hashable, Sendable {
    public private(set) var squares = 0.0
    public private(set) var degreesOfFreedom = 0

    public init() {}

    /// The margin's standard deviation from one run to another, logits; nil before any sample
    /// was run twice.
    public var sigmaLogits: Double? {
        degreesOfFreedom > 0 ? (squares / Double(degreesOfFreedom)).squareRoot() : nil
    }

    /// Pools one sample's margins over its runs (at least two).
    mutating func add(_ margins: [Double]) {
        guard margins.count > 1 else { return }
        let mean = margins.reduce(0, +) / Double(margins.count)
        squares += margins.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        degreesOfFreedom += margins.count - 1
    }
}
