import Foundation

/// The units quantities are typed in: what a number means when a person writes it on the
/// command line.
public enum SIUnit: String, Sendable, Hashable, CaseIterable {
    case volts = "V"
    case seconds = "s"
    case siemens = "S"
    case amperes = "A"

    /// The unit's name, for messages ("volts").
    public var name: String {
        switch self {
        case .volts: return "volts"
        case .seconds: return "seconds"
        case .siemens: return "siemens"
        case .amperes: return "amperes"
        }
    }
}

/// Why a typed quantity was refused.
public struct SIQuantityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was typed.
    public var text: String
    /// The unit the quantity is in.
    public var unit: SIUnit
    /// What is wrong with it.
    public var reason: String

    public var description: String {
        "\"\(text)\": \(reason); expected \(unit.name), e.g. \(SIQuantity.example(for: unit))"
    }
}

/// A number with an optional SI prefix and unit symbol, as people type them: `1e-6`, `1us`,
/// `1 µs`, `-1.8V`, `0.5uS`, `250mV`.
///
/// The prefixes are p, n, u (or µ), m, k, M and G; the unit symbol, when given, must be the
/// expected one (`V`, `s`, `S`, `A`), matched case-sensitively because `s` (seconds) and `S`
/// (siemens) differ, as do `m` (milli) and `M` (mega). A bare number is in the base unit.
public enum SIQuantity {
    /// The multipliers of the accepted prefixes.
    static let prefixes: [Character: Double] = [
        "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9,
    ]

    /// `text` in the base unit (volts, seconds, siemens, amperes).
    ///
    /// - Throws: ``SIQuantityError`` naming the text and the expected unit when it is not a
    ///   finite number with at most a prefix and the unit's symbol after it.
    public static func parse(_ text: String, unit: SIUnit) throws(SIQuantityError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (number, rest) = splitNumber(trimmed)
        guard !number.isEmpty, let magnitude = Double(number) else {
            throw SIQuantityError(text: text, unit: unit, reason: "not a number")
        }
        var suffix = Substring(rest.trimmingCharacters(in: .whitespaces))
        if suffix.hasSuffix(unit.rawValue) { suffix = suffix.dropLast(unit.rawValue.count) }
        var multiplier = 1.0
        if let p = suffix.first, suffix.count == 1, let m = prefixes[p] {
            multiplier = m
        } else if !suffix.isEmpty {
            throw SIQuantityError(text: text, unit: unit,
                                  reason: "\"\(rest.trimmingCharacters(in: .whitespaces))\" is not an SI prefix (p n u m k M G) followed by \(unit.rawValue)")
        }
        let value = magnitude * multiplier
        guard value.isFinite else { throw SIQuantityError(text: text, unit: unit, reason: "not finite") }
        return value
    }

    /// Comma-separated quantities (`1.2V,1.6V` or `1us,10us`).
    ///
    /// - Throws: ``SIQuantityError`` for the first item that is not a quantity, or when there is none.
    public static func parseList(_ text: String, unit: SIUnit) throws(SIQuantityError) -> [Double] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SIQuantityError(text: text, unit: unit, reason: "no values")
        }
        var values: [Double] = []
        for item in items { values.append(try parse(String(item), unit: unit)) }
        return values
    }

    /// A typical way to write a quantity of `unit`, for messages.
    public static func example(for unit: SIUnit) -> String {
        switch unit {
        case .volts: return "1.8 or 1.8V or 250mV"
        case .seconds: return "1e-6 or 1us or 5ms"
        case .siemens: return "1e-6 or 1uS"
        case .amperes: return "1e-6 or 1uA"
        }
    }

    /// The leading decimal number of `text` (sign, digits, point, exponent) and what follows it.
    /// An `e` belongs to the number only when digits follow it.
    private static func splitNumber(_ text: String) -> (number: String, rest: Substring) {
        let chars = Array(text)
        var i = 0
        if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
        while i < chars.count, chars[i].isASCII, chars[i].isNumber || chars[i] == "." { i += 1 }
        if i < chars.count, chars[i] == "e" || chars[i] == "E" {
            var j = i + 1
            if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
            let digitsStart = j
            while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
            if j > digitsStart { i = j }
        }
        let split = text.index(text.startIndex, offsetBy: i)
        return (String(text[..<split]), text[split...])
    }
}
