import Foundation

/// When a retention run reads its cells: log-spaced times since programming, seconds.
public struct RetentionSchedule: Hashable, Sendable {
    public var firstSeconds: Double
    public var lastSeconds: Double
    public var pointsPerDecade: Int

    public init(firstSeconds: Double, lastSeconds: Double, pointsPerDecade: Int) throws(RetentionScheduleError) {
        guard firstSeconds > 0, firstSeconds.isFinite else { throw .init("the first read must be a positive time, got \(firstSeconds) s") }
        guard lastSeconds > firstSeconds, lastSeconds.isFinite else {
            throw .init("the last read (\(lastSeconds) s) must come after the first (\(firstSeconds) s)")
        }
        guard (1...100).contains(pointsPerDecade) else { throw .init("points per decade must be 1 to 100, got \(pointsPerDecade)") }
        guard log10(lastSeconds / firstSeconds) * Double(pointsPerDecade) < 10_000 else {
            throw .init("\(firstSeconds) s to \(lastSeconds) s at \(pointsPerDecade) points per decade is more than 10000 reads")
        }
        self.firstSeconds = firstSeconds
        self.lastSeconds = lastSeconds
        self.pointsPerDecade = pointsPerDecade
    }

    /// Every read time, the first and the last included.
    public var times: [Double] {
        let decades = log10(lastSeconds / firstSeconds)
        let steps = max(1, Int((decades * Double(pointsPerDecade)).rounded(.up)))
        return (0...steps).map { firstSeconds * pow(10, decades * Double($0) / Double(steps)) }
    }
}

public struct RetentionScheduleError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
