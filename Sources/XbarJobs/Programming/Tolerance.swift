import Foundation

/// How close to its target a cell must end: absolute siemens, or a percentage of the device's
/// nominal conductance range (mean `gMax` minus mean `gMin`).
public enum Tolerance: Hashable, Sendable, Codable, CustomStringConvertible {
    case siemens(Double)
    case percentOfRange(Double)

    /// Tolerances accepted, siemens: below a picosiemens no read of a crossbar cell resolves a
    /// difference (and the averaging needed for it would not fit a count); a siemens is no
    /// tolerance at all.
    public static let siemensRange: ClosedRange<Double> = 1e-12...1
    /// Percentages accepted: a millionth of a percent of a microsiemens range is a picosiemens.
    public static let percentRange: Range<Double> = 1e-6..<100

    /// Parses `1e-6` (siemens) or `1%` (percent of range).
    ///
    /// - Throws: ``ProgrammingError/badTolerance(_:)`` for anything else, or a value outside
    ///   ``siemensRange`` or ``percentRange``.
    public init(parsing text: String) throws(ProgrammingError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let p = Double(trimmed.dropLast()), Self.percentRange.contains(p) else { throw .badTolerance(text) }
            self = .percentOfRange(p)
        } else {
            guard let s = Double(trimmed), Self.siemensRange.contains(s) else { throw .badTolerance(text) }
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
