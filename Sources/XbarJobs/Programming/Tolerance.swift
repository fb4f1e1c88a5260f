import Foundation

/// How close to its target a cell must end: absolute siemens, or a percentage of the device's
/// nominal conductance range (mean `gMax` minus mean `gMin`).
public enum Tolerance: Hashable, Sendable, Codable, CustomStringConvertible {
    case siemens(Double)
    case percentOfRange(Double)

    /// The widest tolerance accepted, as a fraction of the programmable range: a wider one lets
    /// cells "converge" where they already are, which is a typing mistake (a bare `1` is one
    /// siemens), not a programming request.
    public static let widestFractionOfRange = 0.1
    /// The narrowest tolerances accepted: below a picosiemens no read of a crossbar cell
    /// resolves a difference (and the averaging it would need does not fit a count).
    public static let narrowestSiemens = 1e-12
    public static let narrowestPercent = 1e-6

    /// Parses siemens (`1e-6`, `0.5uS`, `2 µS`) or a percentage of the nominal range (`1%`).
    ///
    /// - Throws: ``ProgrammingError/badTolerance(_:reason:)`` saying what is allowed, for text
    ///   that is neither, and for zero, negative and 100 % or wider tolerances.
    public init(parsing text: String) throws(ProgrammingError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            let number = trimmed.dropLast().trimmingCharacters(in: .whitespaces)
            guard let p = Double(number), p.isFinite else {
                throw .badTolerance(text, reason: "\"\(number)\" is not a number")
            }
            guard p > 0 else {
                throw .badTolerance(text, reason: "a tolerance must be above 0% (allowed: \(Self.narrowestPercent)% up to 10% of the nominal range, e.g. 1%)")
            }
            guard p >= Self.narrowestPercent else {
                throw .badTolerance(text, reason: "a tolerance must be at least \(Self.narrowestPercent)% (allowed: \(Self.narrowestPercent)% up to 10% of the nominal range, e.g. 1%)")
            }
            guard p <= Self.widestFractionOfRange * 100 else {
                throw .badTolerance(text, reason: "\(Self.number(p))% of the range is not a tolerance (allowed: above 0% up to 10% of the nominal range, e.g. 1%)")
            }
            self = .percentOfRange(p)
        } else {
            let s: Double
            do { s = try SIQuantity.parse(trimmed, unit: .siemens) } catch {
                throw .badTolerance(text, reason: "\(error.reason): expected siemens (e.g. 1e-6 or 0.5uS) or a percentage of the nominal range (e.g. 1%)")
            }
            guard s > 0 else {
                throw .badTolerance(text, reason: "a tolerance must be above 0 S (allowed: 1e-12 S up to a tenth of the programmable range, e.g. 1e-6 or 0.5uS, or a percentage such as 1%)")
            }
            guard s >= Self.narrowestSiemens else {
                throw .badTolerance(text, reason: "a tolerance must be at least 1e-12 S (allowed: 1e-12 S up to a tenth of the programmable range, e.g. 1e-6 or 0.5uS, or a percentage such as 1%)")
            }
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

    /// The tolerance in siemens, refused when wider than a tenth of the programmable range.
    ///
    /// - Parameter typed: the tolerance as the person wrote it, for the message.
    /// - Throws: ``ProgrammingError/badTolerance(_:reason:)`` with the allowed range in siemens
    ///   and, for a bare number, a hint that it means siemens.
    public func checkedSiemens(in range: ProgrammableRange, typed: String? = nil) throws(ProgrammingError) -> Double {
        let s = siemens(rangeSiemens: range.nominalRangeSiemens)
        let widest = Self.widestFractionOfRange * (range.highSiemens - range.lowSiemens)
        guard s <= widest else {
            let allowed = "allowed: above 0 S up to \(Self.number(widest)) S, a tenth of the programmable range "
                + "\(Self.number(range.lowSiemens))...\(Self.number(range.highSiemens)) S"
            switch self {
            case .siemens:
                throw .badTolerance(typed ?? description, reason: "\(Self.number(s)) S is wider than a tenth of the programmable range (\(allowed)); "
                                    + "a bare number is siemens: did you mean \(Self.number(s))% or \(Self.number(s))uS?")
            case .percentOfRange(let p):
                throw .badTolerance(typed ?? description, reason: "\(Self.number(p))% of the nominal range is \(Self.number(s)) S, wider than a tenth of the programmable range (\(allowed))")
            }
        }
        return s
    }

    public var description: String {
        switch self {
        case .siemens(let s): return "\(s) S"
        case .percentOfRange(let p): return "\(p)% of range"
        }
    }

    private static func number(_ x: Double) -> String { String(format: "%.3g", x) }
}
