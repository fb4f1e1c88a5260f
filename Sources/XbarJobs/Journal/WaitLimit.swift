/// The longest wait a job accepts, and the one check every wait goes through.
///
/// A wait longer than a week is a typo rather than an experiment (a relaxation study over
/// weeks is several runs), and far below what board clocks count (nanoseconds in 64 bits,
/// about 584 years), so no wait can overflow a clock or leave a run sleeping for ever.
public enum WaitLimit {
    /// One week, seconds.
    public static let maximumSeconds: Double = 7 * 24 * 3600

    /// Why `seconds` cannot be waited, or nil when it can: it must be finite and within
    /// `0 ... maximumSeconds` (above 0 when `positive`).
    public static func problem(seconds: Double, positive: Bool = false) -> String? {
        let low = positive ? "above 0" : "0 or more"
        guard seconds.isFinite, positive ? seconds > 0 : seconds >= 0, seconds <= maximumSeconds else {
            return "\(seconds) s is outside the waits accepted: \(low) and at most \(Int(maximumSeconds)) s (one week)"
        }
        return nil
    }

    /// Refuses a wait ``problem(seconds:positive:)`` finds fault with.
    ///
    /// - Throws: ``WaitLimitError`` naming `name` (what the wait is for) and the range.
    public static func check(seconds: Double, _ name: String, positive: Bool = false) throws(WaitLimitError) {
        if let problem = problem(seconds: seconds, positive: positive) { throw WaitLimitError(name: name, problem: problem) }
    }
}

/// A wait refused by ``WaitLimit``: what it was for and why.
public struct WaitLimitError: Error, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var problem: String
    public var description: String { "\(name): \(problem)" }
}
