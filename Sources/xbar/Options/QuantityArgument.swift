import XbarJobs

/// Quantities typed on the command line with an optional SI prefix and unit (`1us`, `-1.8V`,
/// `0.5uS`), for `@Option(transform:)`; a bare number is in the base unit. All go through
/// ``SIQuantity``, so every option taking a unit reads its value the same way.
enum QuantityArgument {
    static func volts(_ text: String) throws -> Double { try SIQuantity.parse(text, unit: .volts) }
    static func seconds(_ text: String) throws -> Double { try SIQuantity.parse(text, unit: .seconds) }
    static func siemens(_ text: String) throws -> Double { try SIQuantity.parse(text, unit: .siemens) }
    static func amperes(_ text: String) throws -> Double { try SIQuantity.parse(text, unit: .amperes) }
    static func voltsList(_ text: String) throws -> [Double] { try SIQuantity.parseList(text, unit: .volts) }
    static func secondsList(_ text: String) throws -> [Double] { try SIQuantity.parseList(text, unit: .seconds) }
}
