import Foundation
import Testing
import XbarBoard
@testable import XbarSSM

/// Close calls run again and decided on their mean logits: what a lab relies on is the same
/// decision when it runs a sample twice, at a cost it is told.
@Suite("close-call repeats")
struct CloseCallRepeatsTests {
    /// Deterministic Gaussian draws (SplitMix64, Box-Muller), so the figures are reproducible.
    struct Normal {
        var state: UInt64
        mutating func unit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return (Double((z ^ (z >> 31)) >> 11) + 0.5) / 9_007_199_254_740_992
        }
        mutating func next() -> Double {
            (-2 * Foundation.log(unit())).squareRoot() * Foundation.cos(2 * Double.pi * unit())
        }
    }

    /// 400 samples of three classes whose first two logits are `±m/2` with `m` spread evenly
    /// over ±4 standard deviations of the margin's noise, the third far below; each run adds
    /// Gaussian noise of 0.1 to every logit (a margin noise of 0.141). Decided on one run, two
    /// runs disagree where `|m|` is within the noise: in expectation on `2 / sqrt(pi) / 8`
    /// of the samples (14 %, from the integral of `Phi (1 - Phi)`). With the standard repeats
    /// (below two standard errors, up to eight runs) the close calls' noise shrinks up to
    /// `sqrt 8` times: expected about 6 %. Bounds: at least 20 fewer disagreements of 400
    /// (the two counts' standard deviations are about 7 and 5), the spread measured within
    /// 15 % of 0.141 (several hundred degrees of freedom), and samples whose margin is more
    /// than 4 noise deviations never repeated.
    @Test("two decisions of noisy logits agree on more samples with close calls run again than on one run each, the spread is measured within 15 %, and clear samples are not repeated")
    func repeatsMakeDecisionsRepeatable() throws {
        let count = 400, sigma = 0.1, marginSigma = sigma * 2.0.squareRoot()
        let margins = (0..<count).map { i in marginSigma * (-4 + 8 * (Double(i) + 0.5) / Double(count)) }
        let exact = margins.map { [$0 / 2, -$0 / 2, -5] }
        var noise = Normal(state: 7)
        func noisy(_ indices: [Int]) -> [[Double]] { indices.map { i in exact[i].map { $0 + sigma * noise.next() } } }
        func argmax(_ l: [Double]) -> Int { l.indices.max { l[$0] < l[$1] }! }
        let all = Array(0..<count)

        let oneRun = zip(noisy(all), noisy(all)).filter { argmax($0) == argmax($1) }.count
        let repeats = CloseCallRepeats.standard
        var spread = MarginSpread()
        var asked: [Int] = []
        let first = repeats.decide(noisy(all), spread: &spread) { asked += $0; return noisy($0) }
        let second = repeats.decide(noisy(all), spread: &spread) { asked += $0; return noisy($0) }
        let decided = zip(first.logits, second.logits).filter { argmax($0) == argmax($1) }.count
        let repeated = first.runs.filter { $0 > 1 }.count
        let measured = try #require(spread.sigmaLogits)
        print("one run each: \(count - oneRun) of \(count) apart; repeated: \(count - decided) apart, \(repeated) samples repeated, \(first.runs.reduce(0, +) - count) runs more; spread \(measured)")

        #expect(decided >= oneRun + 20, "agreeing on \(decided) decided again against \(oneRun) on one run")
        #expect(abs(measured / marginSigma - 1) < 0.15, "measured margin spread \(measured), drawn \(marginSigma)")
        #expect(repeated > 0 && repeated < count, "\(repeated) of \(count) repeated")
        #expect(asked.allSatisfy { abs(margins[$0]) < 4 * marginSigma }, "a clear sample was run again")
        #expect(first.runs.allSatisfy { $0 <= repeats.largestRuns })
        #expect(first.operations > 0)
    }

    /// An event SSM without blocks: an event's embedding row, pooled, multiplied by the
    /// readout on the tile. Each sample is one event on its own channel, whose first two
    /// classes' logits (about 1) differ by `m`, spread evenly over ±0.1: about ±5 deviations
    /// of the margin's run-to-run noise on the simulated board (measured: 0.022 logits).
    static func tiedReadout(samples: Int) -> (SSMModel, [EventSample]) {
        let d = 4
        var embedding: [Double] = []
        var events: [EventSample] = []
        for c in 0..<samples {
            let m = 0.1 * (-1 + 2 * (Double(c) + 0.5) / Double(samples))
            embedding += [0.5 + m / 2, 0.5 - m / 2, 0.5, 0.5]
            events.append(EventSample(events: [Event(timeSeconds: 1e-3, channel: c, polarity: 1)], label: m > 0 ? 0 : 1))
        }
        let W = Matrix(rows: 3, columns: d, values: [1, 0, 0.5, 0.5, 0, 1, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2])
        let model = SSMModel(file: "tied readout test model", architecture: .eventSSM, layers: [],
                             embedding: Matrix(rows: samples, columns: d, values: embedding), readoutWeights: W,
                             readoutBias: [0, 0, 0], classNames: ["0", "1", "2"], inputCount: samples, modelWidth: d, stateCount: 0,
                             activationRanges: nil, timeStepSeconds: nil, stepCount: nil, inputMode: nil,
                             placements: [TilePlacement(matrix: "readout.W", tile: 0, rowOffset: 0, rows: d, inputOffset: 0,
                                                        colPairOffset: 0, outputs: 3)],
                             reportedTestAccuracy: nil, testDataFile: nil)
        return (model, events)
    }

    /// On a write-verified simulated board, the same engine runs the same samples twice with one
    /// run per sample, then twice with close calls run again (below two standard errors, up to
    /// 16 runs, which narrow the band of coin flips to a quarter of the noise). A sample whose
    /// margin is within the noise flips between runs: measured, 38 of the 400 apart on one run
    /// each, 10 with close calls run again (130 samples repeated, 785 runs more). Bound: at
    /// least 10 more of the 400 agree (the counts' deviations are about 6 and 3). The run
    /// reports what the repeats took, and its request count includes them.
    @Test("on a simulated board, two runs of the same samples agree on more samples with close calls run again, and the run reports the samples repeated, their requests and board time")
    func engineRepeatsCloseCalls() throws {
        let (model, samples) = Self.tiedReadout(samples: 400)
        let board = SimulatedBoard(instrument: try Examples.instrument(), seed: 11)
        let engine = try ChipInLoopEngineTests.calibratedEngine(model, board: board)
        func agreement(_ a: InferenceRun, _ b: InferenceRun) -> Int { zip(a.predictions, b.predictions).filter { $0 == $1 }.count }

        #expect(engine.closeCalls == nil)
        let plain = try engine.run(samples)
        let plainAgain = try engine.run(samples)
        #expect(plain.closeCalls == nil)
        engine.closeCalls = try CloseCallRepeats(marginSigmas: 2, largestRuns: 16)
        let decided = try engine.run(samples)
        let decidedAgain = try engine.run(samples)
        let report = try #require(decided.closeCalls)
        print("one run each: \(agreement(plain, plainAgain)) of \(samples.count) agree; close calls run again: \(agreement(decided, decidedAgain)); " + report.summary)

        #expect(agreement(decided, decidedAgain) >= agreement(plain, plainAgain) + 10)
        #expect(report.repeatedSamples > 0 && report.repeatedSamples < samples.count)
        #expect(report.extraRuns >= report.repeatedSamples)
        // The first pass's requests are the plain run's (up to the odd saturated vector measured again).
        #expect(report.mvmRequests > 0 && abs(decided.mvmRequests - report.mvmRequests - plain.mvmRequests) <= plain.mvmRequests / 20)
        #expect(report.boardSeconds > 0 && report.firstPassBoardSeconds > 0)
        #expect(decided.arithmetic.closeCallDecisions > 0 && plain.arithmetic.closeCallDecisions == 0)
    }

    @Test("close-call settings that cannot decide are refused, not clamped")
    func refusesSettings() {
        #expect(throws: CloseCallRepeats.Invalid.self) { try CloseCallRepeats(marginSigmas: 0, largestRuns: 8) }
        #expect(throws: CloseCallRepeats.Invalid.self) { try CloseCallRepeats(marginSigmas: .nan, largestRuns: 8) }
        #expect(throws: CloseCallRepeats.Invalid.self) { try CloseCallRepeats(marginSigmas: 2, largestRuns: 1) }
        #expect(throws: CloseCallRepeats.Invalid.self) { try CloseCallRepeats(marginSigmas: 2, largestRuns: 8, pilotSamples: 0) }
    }
}
