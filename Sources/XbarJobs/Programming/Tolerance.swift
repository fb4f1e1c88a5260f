import Foundation

/// How close to its target a cell must end: absolute siemens, or a percentage of the device's
/// nominal conductance range (mean `gMax` minus mean `gMin`).
public enum Tolerance: Hashable, Sendable, Codable, CustomStringConvertible {
    case siemens(Double)
    case percentOfRange(Double)

    /// Parses `1e-6` (siemens) or `1%` (percent of range).
    ///
    /// - Throws: ``ProgrammingError/badTolerance(_:)`` for anything else, or a non-positive value.
    public init(parsing text: String) throws(ProgrammingError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let p = Double(trimmed.dropLast()), p > 0, p < 100 else { throw .badTolerance(text) }
            self = .percentOfRange(p)
        } else {
            guard let s = Double(trimmed), s > 0, s.isFinite else { throw .badTolerance(text) }
            self = .siemens(s)
        }
    }

    /// The tolerance in siemens for a nominal range of `rangeSiemens`.
    public func siemens(rangeSiemens: Double) -> Double {
        switch self {
        case .siemens(let s): return s
        case .percentOfRange(let p): return p / 100 * rangeSiemens
        }
    }

    public var description: String {
        switch self {
        case .siemens(let s): return "\(s) S"
        case .percentOfRange(let p): return "\(p)% of range"
        }
    }
}
