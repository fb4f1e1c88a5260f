import Testing
import XbarJobs

@Suite("Quantities typed with SI prefixes and units")
struct SIQuantityTests {
    @Test("a number with a prefix and the expected unit symbol is read in the base unit", arguments: [
        ("1e-6", SIUnit.seconds, 1e-6), ("1us", .seconds, 1e-6), ("1 µs", .seconds, 1e-6), ("500ns", .seconds, 500e-9),
        ("5ms", .seconds, 5e-3), ("5m", .seconds, 5e-3), ("2", .seconds, 2),
        ("-1.8V", .volts, -1.8), ("-1.8", .volts, -1.8), ("250mV", .volts, 0.25), ("+2V", .volts, 2), ("1.5E-1V", .volts, 0.15),
        ("0.5uS", .siemens, 0.5e-6), ("1e-6S", .siemens, 1e-6), ("2MS", .siemens, 2e6), ("10uA", .amperes, 10e-6),
    ])
    func accepted(text: String, unit: SIUnit, expected: Double) throws {
        let value = try SIQuantity.parse(text, unit: unit)
        // Prefix scaling multiplies by a power of ten: equal to a few ulps.
        #expect(abs(value - expected) <= 1e-12 * abs(expected), "\(text) -> \(value)")
    }

    @Test("the wrong unit, a wrong-case symbol or a non-number is refused naming the unit expected", arguments: [
        ("1uS", SIUnit.seconds, "\"uS\" is not an SI prefix"), ("1s", .siemens, "\"s\" is not an SI prefix"),
        ("1.8ms", .volts, "expected volts"), ("abc", .volts, "not a number"), ("1e", .volts, "\"e\" is not an SI prefix"),
        ("inf", .seconds, "not a number"), ("1e400", .seconds, "not finite"), ("", .siemens, "not a number"),
    ])
    func refused(text: String, unit: SIUnit, message: String) {
        #expect {
            _ = try SIQuantity.parse(text, unit: unit)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("expected \(unit.name)")
        }
    }

    @Test("a comma-separated list reads every item and refuses the first bad one")
    func lists() throws {
        #expect(try SIQuantity.parseList("1.2V,1600mV, 2", unit: .volts) == [1.2, 1.6, 2])
        #expect(throws: SIQuantityError.self) { try SIQuantity.parseList("1us,,2us", unit: .seconds) }
        #expect(throws: SIQuantityError.self) { try SIQuantity.parseList("1us,2uS", unit: .seconds) }
    }
}
