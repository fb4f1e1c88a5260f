import ArgumentParser
import XbarJobs
import XbarWire

/// Range checks of numeric command-line options, shared by every command so that a refusal
/// always names the option, the value given and what it must be, before any store is opened
/// or any board is touched.
enum OptionCheck {
    /// A finite number within `range`, in `unit` (for the message).
    static func require(_ value: Double, _ option: String, in range: ClosedRange<Double>, unit: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw ValidationError("\(option) \(value): expected \(unit) from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// A positive finite number up to `maximum`, in `unit`.
    static func requirePositive(_ value: Double, _ option: String, atMost maximum: Double, unit: String) throws {
        guard value.isFinite, value > 0, value <= maximum else {
            throw ValidationError("\(option) \(value): expected \(unit) above 0 and at most \(maximum)")
        }
    }

    /// An integer within `range`.
    static func require<T: BinaryInteger>(_ value: T, _ option: String, in range: ClosedRange<T>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) \(value): expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    /// A wait in seconds, as every job accepts it (``WaitLimit``).
    static func requireWait(_ seconds: Double, _ option: String, positive: Bool = false) throws {
        if let problem = WaitLimit.problem(seconds: seconds, positive: positive) {
            throw ValidationError("\(option): \(problem)")
        }
    }

    /// A read voltage the instrument's limits allow (checked by the same ``ElectricalLimits``
    /// check the board applies), with `averages` reads averaged.
    static func requireRead(volts: Double, averages: Int = 1, _ option: String, limits: ElectricalLimits,
                            instrument: String) throws {
        guard volts.isFinite, let count = UInt16(exactly: averages) else {
            throw ValidationError("\(option) \(volts): expected a finite read voltage, volts")
        }
        if let fault = limits.checkRead(readVolts: Float(volts), averages: count) {
            throw ValidationError("\(option) \(volts): instrument \(instrument) \(fault)")
        }
    }
}
