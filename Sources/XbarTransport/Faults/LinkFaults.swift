import Foundation

/// Faults a test link or a board emulator injects: frames dropped or damaged at random in both
/// directions, replies delayed, and the board restarting or vanishing after a number of requests.
///
/// Written `drop=P,corrupt=P,delay=S,reset-after=N,unplug-after=N,seed=N` (any subset, any order):
/// `drop` and `corrupt` are probabilities per frame (0 to 1), `delay` holds every reply back by
/// S seconds, `reset-after` restarts the board once after it has answered N requests (a new
/// session: reply cache and pulse counter start afresh), `unplug-after` closes the link for good
/// after N requests, `seed` makes the random choices repeatable.
public struct LinkFaults: Sendable, Hashable, CustomStringConvertible {
    /// Probability that a frame is lost, per frame and direction.
    public var dropProbability: Double = 0
    /// Probability that a frame arrives with one bit flipped, per frame and direction.
    public var corruptProbability: Double = 0
    /// Time every reply is held back, seconds.
    public var delaySeconds: Double = 0
    /// Requests answered before the board restarts (once); nil: never.
    public var resetAfterRequests: Int?
    /// Requests answered before the link is closed for good; nil: never.
    public var unplugAfterRequests: Int?
    /// Seed of the random choices; nil: a different draw every time.
    public var seed: UInt64?

    public init() {}

    /// Parses the `key=value,...` form.
    ///
    /// - Throws: ``LinkFaultsError`` naming the key and the value when a key is unknown, a
    ///   value is not a number, a probability lies outside 0...1, a delay is negative or not
    ///   finite, or a count is below 1.
    public init(parsing text: String) throws(LinkFaultsError) {
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else {
                throw LinkFaultsError(text: text, problem: "\"\(item)\" is not KEY=VALUE")
            }
            let key = parts[0], value = parts[1]
            func probability() throws(LinkFaultsError) -> Double {
                guard let p = Double(value), p >= 0, p <= 1 else {
                    throw LinkFaultsError(text: text, problem: "\(key)=\(value): expected a probability from 0 to 1")
                }
                return p
            }
            func count() throws(LinkFaultsError) -> Int {
                guard let n = Int(value), n >= 1 else {
                    throw LinkFaultsError(text: text, problem: "\(key)=\(value): expected a whole number of requests, at least 1")
                }
                return n
            }
            switch key {
            case "drop": dropProbability = try probability()
            case "corrupt": corruptProbability = try probability()
            case "delay":
                guard let s = Double(value), s.isFinite, s >= 0, s <= 3600 else {
                    throw LinkFaultsError(text: text, problem: "delay=\(value): expected seconds from 0 to 3600")
                }
                delaySeconds = s
            case "reset-after": resetAfterRequests = try count()
            case "unplug-after": unplugAfterRequests = try count()
            case "seed":
                guard let n = UInt64(value) else {
                    throw LinkFaultsError(text: text, problem: "seed=\(value): expected a whole number from 0 to \(UInt64.max)")
                }
                seed = n
            default:
                throw LinkFaultsError(text: text, problem: "unknown fault \"\(key)\"; known: drop, corrupt, delay, reset-after, unplug-after, seed")
            }
        }
        guard dropProbability + corruptProbability <= 1 else {
            throw LinkFaultsError(text: text, problem: "drop and corrupt together exceed a probability of 1")
        }
    }

    /// True when frames themselves are touched (drop, corrupt or delay).
    public var touchesFrames: Bool { dropProbability > 0 || corruptProbability > 0 || delaySeconds > 0 }

    public var description: String {
        var parts: [String] = []
        if dropProbability > 0 { parts.append("drop=\(dropProbability)") }
        if corruptProbability > 0 { parts.append("corrupt=\(corruptProbability)") }
        if delaySeconds > 0 { parts.append("delay=\(delaySeconds)") }
        if let n = resetAfterRequests { parts.append("reset-after=\(n)") }
        if let n = unplugAfterRequests { parts.append("unplug-after=\(n)") }
        if let s = seed { parts.append("seed=\(s)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}

/// A `--faults` value that cannot be used.
public struct LinkFaultsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var problem: String
    public var description: String { "--faults \(text): \(problem)" }
}
