import Foundation

/// What deciding close calls again took in one inference run (see ``CloseCallRepeats``).
public struct CloseCallReport: Sendable, Hashable {
    /// Samples run more than once, and the runs beyond their first.
    public var repeatedSamples = 0
    public var extraRuns = 0
    /// MVM requests and vectors the extra runs sent.
    public var mvmRequests = 0
    public var mvmVectors = 0
    /// Board time of the extra runs, and of the first pass over every sample, seconds (from the
    /// board's STATUS clock).
    public var boardSeconds = 0.0
    public var firstPassBoardSeconds = 0.0
    /// The margin's run-to-run standard deviation the decisions used, logits (nil when no
    /// sample was run twice).
    public var marginSigmaLogits: Double?

    public init() {}

    /// Board time of the extra runs over the first pass's, 0 when the first pass took none.
    public var extraBoardFraction: Double { firstPassBoardSeconds > 0 ? boardSeconds / firstPassBoardSeconds : 0 }

    /// Two runs' reports together (chunks of one inference); the later spread stands.
    public static func + (a: CloseCallReport, b: CloseCallReport) -> CloseCallReport {
        var sum = a
        sum.repeatedSamples += b.repeatedSamples
        sum.extraRuns += b.extraRuns
        sum.mvmRequests += b.mvmRequests
        sum.mvmVectors += b.mvmVectors
        sum.boardSeconds += b.boardSeconds
        sum.firstPassBoardSeconds += b.firstPassBoardSeconds
        sum.marginSigmaLogits = b.marginSigmaLogits ?? a.marginSigmaLogits
        return sum
    }

    /// One line for people.
    public var summary: String {
        let sigma = marginSigmaLogits.map { String(format: "%.3g", $0) } ?? "not measured"
        return String(format: "close calls: %d samples run again (%d runs more), %d MVM requests, %d vectors, %.3f s of board time (+%.1f %% over the first pass's %.3f s); margin spread %@ logits",
                      repeatedSamples, extraRuns, mvmRequests, mvmVectors, boardSeconds, 100 * extraBoardFraction, firstPassBoardSeconds, sigma)
    }
}
