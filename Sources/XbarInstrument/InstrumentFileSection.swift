import XbarDevice
import Yams

/// Collects the problems found while reading one instrument file.
final class InstrumentProblemLog {
    private(set) var problems: [InstrumentProblem] = []

    func report(_ keyPath: String, _ message: String, at node: Node?) {
        problems.append(InstrumentProblem(keyPath: keyPath, message: message,
                                          line: node?.mark?.line, column: node?.mark?.column))
    }

    /// Problems in file order; missing keys sort at their parent mapping's line.
    var sortedProblems: [InstrumentProblem] {
        problems.enumerated().sorted { a, b in
            let la = a.element.line ?? 0, lb = b.element.line ?? 0
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }
}

/// A range rule a number must satisfy; returns the problem, or nil when the value is fine.
struct NumberRule: Sendable {
    let check: @Sendable (Double) -> String?

    static let positive = NumberRule { $0 > 0 ? nil : "must be greater than 0, got \(format($0))" }
    static let nonNegative = NumberRule { $0 >= 0 ? nil : "must be 0 or more, got \(format($0))" }
    /// A fraction in 0...1.
    static let unitInterval = NumberRule { (0...1).contains($0) ? nil : "must be between 0 and 1, got \(format($0))" }
    /// A fraction in (0, 1].
    static let positiveFraction = NumberRule {
        $0 > 0 && $0 <= 1 ? nil : "must be greater than 0 and at most 1, got \(format($0))"
    }

    /// What a crossbar test board can physically be: greater than 0 and at most `high`, in
    /// `unit`; `why` says what bounds it. Values beyond are typos (a missing exponent, volts
    /// for millivolts), refused rather than warned about like merely unrealistic ones.
    static func physical(upTo high: Double, _ unit: String, _ why: String) -> NumberRule {
        NumberRule { $0 > 0 && $0 <= high ? nil : "must be greater than 0 and at most \(format(high)) \(unit) (\(why)), got \(format($0))" }
    }

    /// A relative spread (a standard deviation as a fraction of the mean): 0 up to 1, since a
    /// spread above 100 % of the mean would make the parameter's sign itself random.
    static let relativeSpread = NumberRule {
        (0...1).contains($0) ? nil : "must be between 0 and 1 (a relative spread, at most 100 % of the mean), got \(format($0))"
    }

    static func format(_ x: Double) -> String { "\(x)" }
}

/// The physical bounds of instrument values, one place for all of them.
enum PhysicalBounds {
    static let pulseVolts = NumberRule.physical(upTo: 20, "V", "no crossbar test board drives pulses above 20 V")
    static let readVolts = NumberRule.physical(upTo: 5, "V", "a read or MVM input above 5 V would switch any memristor")
    static let pulseSeconds = NumberRule.physical(upTo: 1, "s", "a pulse longer than a second is not a pulse")
    static let complianceAmperes = NumberRule.physical(upTo: 0.1, "A", "a crossbar cell's compliance is micro- to milliamperes")
    static let pulseEnergyJoules = NumberRule.physical(upTo: 1e-3, "J", "a millijoule would destroy a cell")
    static let converterAmperes = NumberRule.physical(upTo: 1, "A", "a sense amplifier's full scale is at most an ampere")
    static let conductanceSiemens = NumberRule.physical(upTo: 0.01, "S", "a crossbar cell conducts at most 10 mS (100 ohms)")
    static let timeConstantSeconds = NumberRule.physical(upTo: 86_400, "s", "a volatile cell decays within a day")
}

/// One YAML mapping of an instrument file, read key by key. Every key asked for is remembered,
/// so ``finish()`` can report the keys nobody asked for as unknown, with the closest known key.
final class InstrumentFileSection {
    let log: InstrumentProblemLog
    /// Key path of this mapping (empty at the top of the file).
    let keyPath: String
    let node: Node
    private let entries: [(key: String, keyNode: Node, value: Node)]
    private var asked: [String] = []

    init(log: InstrumentProblemLog, keyPath: String, node: Node, mapping: Node.Mapping) {
        self.log = log
        self.keyPath = keyPath
        self.node = node
        self.entries = mapping.map { (key: $0.key.string ?? "\($0.key)", keyNode: $0.key, value: $0.value) }
    }

    /// Opens `node` as a mapping, or reports what it is instead.
    static func open(_ node: Node, at keyPath: String, log: InstrumentProblemLog) -> InstrumentFileSection? {
        guard case .mapping(let mapping) = node else {
            log.report(keyPath, "expected a mapping of keys to values, got \(InstrumentFileSection.describe(node))", at: node)
            return nil
        }
        return InstrumentFileSection(log: log, keyPath: keyPath, node: node, mapping: mapping)
    }

    func path(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

    /// The value node of `key`; reports it as missing when `required` and absent.
    func value(_ key: String, required: Bool = true) -> Node? {
        if !asked.contains(key) { asked.append(key) }
        if let entry = entries.first(where: { $0.key == key }) { return entry.value }
        if required { log.report(path(key), "missing; add it (\(Self.expectedValue(for: key)))", at: node) }
        return nil
    }

    /// What a key's value is, from its name: units are in the names.
    static func expectedValue(for key: String) -> String {
        let units = ["volts", "seconds", "siemens", "amperes", "joules"]
        if let unit = units.first(where: { key.hasSuffix("_\($0)") }) { return "a number of \(unit)" }
        if ["_fraction", "_spread", "_rate", "_per_decade", "_exponent"].contains(where: { key.hasSuffix($0) }) {
            return "a fraction, e.g. 0.05"
        }
        if key.hasSuffix("_ohms") || key.hasSuffix("_ohms_per_cell") { return "a number of ohms" }
        if key.hasSuffix("_lsb") { return "a number of converter steps (LSB)" }
        switch key {
        case "transport", "limits", "adc", "dac", "device", "non_volatile", "short_term_memory", "array":
            return "a section of keys; see instruments/usb-4x64.yaml"
        case "short_term_memory_classes":
            return "named STM device classes, each a section of short_term_memory keys; see instruments/usb-4x64-multitau.yaml"
        case "row_device_classes": return "a list of STM device class names, one per row"
        case "tiles": return "a list of {index, kind, rows, columns}"
        case "sense_ranges": return "a list of {full_scale_amperes, noise_amperes}"
        case "bias_scheme": return "grounded, half_voltage or third_voltage"
        case "model": return "text, the model string boards of this type report in IDENTIFY"
        case "version": return "text, e.g. \"1.0.0\""
        case "vendor_id", "product_id", "out_endpoint", "in_endpoint": return "a hexadecimal number, e.g. 0x81"
        case "index", "rows", "columns", "bits", "interface", "baud_rate", "max_read_averages",
             "max_read_train_length", "max_program_actions": return "a whole number"
        default: return "see instruments/usb-4x64.yaml"
        }
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The keys of this mapping in file order, with their key nodes (for mappings whose keys
    /// are names the file chooses, such as STM device classes).
    var keys: [(key: String, node: Node)] { entries.map { ($0.key, $0.keyNode) } }

    /// Reports every key that was never asked for.
    func finish() {
        for entry in entries where !asked.contains(entry.key) {
            var message = "unknown key"
            if let suggestion = KeySuggestion.closest(to: entry.key, among: asked) {
                message += "; did you mean \(suggestion)?"
            } else {
                message += "; known keys here: \(asked.joined(separator: ", "))"
            }
            log.report(path(entry.key), message, at: entry.keyNode)
        }
    }

    // MARK: Typed values

    func section(_ key: String, required: Bool = true) -> InstrumentFileSection? {
        guard let node = value(key, required: required) else { return nil }
        return Self.open(node, at: path(key), log: log)
    }

    func list(_ key: String) -> [Node]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            log.report(path(key), "expected a list, got \(Self.describe(node))", at: node)
            return nil
        }
        return Array(sequence)
    }

    func string(_ key: String, required: Bool = true) -> String? {
        guard let node = value(key, required: required) else { return nil }
        guard case .scalar(let scalar) = node else {
            log.report(path(key), "expected text, got \(Self.describe(node))", at: node)
            return nil
        }
        if scalar.style == .plain && Self.isNull(scalar.string) {
            log.report(path(key), "expected text, got nothing", at: node)
            return nil
        }
        return scalar.string
    }

    /// A floating-point number in plain notation (`25.0e-6`, `0.5`, `3`), checked against `rules`.
    func number(_ key: String, _ rules: NumberRule..., required: Bool = true) -> Double? {
        guard let node = value(key, required: required) else { return nil }
        return Self.number(node, at: path(key), rules, log: log)
    }

    /// Like ``number(_:_:required:)`` but as a `Float`, parsed from the text itself so the
    /// value is the `Float` nearest to what the file says.
    func float(_ key: String, _ rules: NumberRule..., required: Bool = true) -> Float? {
        guard let node = value(key, required: required),
              let x = Self.number(node, at: path(key), rules, log: log) else { return nil }
        var f = Float(x)
        if case .scalar(let scalar) = node, let parsed = Float(scalar.string.trimmingSpaces) { f = parsed }
        // Limits and converter ranges travel as 32-bit floats in IDENTIFY and on the wire.
        guard f.isFinite, (f == 0) == (x == 0) else {
            log.report(path(key), "\(x) is outside the range of a 32-bit float (about 1e-38...3e38)", at: node)
            return nil
        }
        return f
    }

    /// A whole number, decimal or hexadecimal (`0x1209`), within `range`.
    func integer(_ key: String, in range: ClosedRange<Int>, hex: Bool = false, required: Bool = true) -> Int? {
        guard let node = value(key, required: required) else { return nil }
        guard let text = Self.plainScalar(node, expecting: "a whole number", at: path(key), log: log) else { return nil }
        var parsed: Int?
        let lower = text.lowercased()
        if lower.hasPrefix("0x") {
            parsed = Int(lower.dropFirst(2), radix: 16)
        } else if lower.hasPrefix("-0x") {
            parsed = Int(lower.dropFirst(3), radix: 16).map { -$0 }
        } else if let i = Int(text) {
            parsed = i
        } else if let d = Double(text), d.isFinite, d.rounded() == d, abs(d) < 1e15 {
            parsed = Int(d)
        }
        guard let value = parsed else {
            log.report(path(key), "expected a whole number, got \"\(text)\"", at: node)
            return nil
        }
        guard range.contains(value) else {
            let digits = String(range.upperBound, radix: 16).count
            let show = { (x: Int) in hex ? Self.hexadecimal(x, digits: digits) : "\(x)" }
            log.report(path(key), "must be in \(show(range.lowerBound))...\(show(range.upperBound)), got \(show(value))", at: node)
            return nil
        }
        return value
    }

    /// One of the spellings in `options`.
    func choice<T>(_ key: String, _ options: [(String, T)], required: Bool = true) -> T? {
        guard let node = value(key, required: required) else { return nil }
        let names = options.map(\.0)
        guard case .scalar(let scalar) = node else {
            log.report(path(key), "expected one of \(names.joined(separator: ", ")), got \(Self.describe(node))", at: node)
            return nil
        }
        if let match = options.first(where: { $0.0 == scalar.string }) { return match.1 }
        var message = "expected one of \(names.joined(separator: ", ")), got \"\(scalar.string)\""
        if let suggestion = KeySuggestion.closest(to: scalar.string, among: names) {
            message += "; did you mean \(suggestion)?"
        }
        log.report(path(key), message, at: node)
        return nil
    }

    /// A device parameter: a plain number (no device-to-device spread) or `{mean: x, spread: s}`.
    /// `rules` apply to the mean; the spread must be 0 or more.
    func distributed(_ key: String, _ rules: NumberRule..., required: Bool = true) -> DistributedParameter? {
        guard let node = value(key, required: required) else { return nil }
        if case .mapping = node {
            guard let inner = Self.open(node, at: path(key), log: log) else { return nil }
            let mean = inner.numberNode("mean", rules)
            let spread = inner.numberNode("spread", [.relativeSpread], required: false)
            inner.finish()
            guard let mean else { return nil }
            if inner.has("spread") && spread == nil { return nil }
            return DistributedParameter(mean, spread: spread ?? 0)
        }
        guard let mean = Self.number(node, at: path(key), rules, log: log) else { return nil }
        return DistributedParameter(mean)
    }

    private func numberNode(_ key: String, _ rules: [NumberRule], required: Bool = true) -> Double? {
        guard let node = value(key, required: required) else { return nil }
        return Self.number(node, at: path(key), rules, log: log)
    }

    // MARK: Scalars

    private static func number(_ node: Node, at keyPath: String, _ rules: [NumberRule], log: InstrumentProblemLog) -> Double? {
        guard let text = plainScalar(node, expecting: "a number", at: keyPath, log: log) else { return nil }
        var value = Double(text)
        if value == nil, text.lowercased().hasPrefix("0x"), let i = Int(text.dropFirst(2), radix: 16) { value = Double(i) }
        guard let value else {
            log.report(keyPath, "expected a number, got \"\(text)\"", at: node)
            return nil
        }
        guard value.isFinite else {
            log.report(keyPath, "expected a finite number, got \"\(text)\"", at: node)
            return nil
        }
        for rule in rules {
            if let problem = rule.check(value) {
                log.report(keyPath, problem, at: node)
                return nil
            }
        }
        return value
    }

    /// The text of a plain (unquoted) scalar, or a reported problem.
    private static func plainScalar(_ node: Node, expecting what: String, at keyPath: String, log: InstrumentProblemLog) -> String? {
        guard case .scalar(let scalar) = node else {
            log.report(keyPath, "expected \(what), got \(describe(node))", at: node)
            return nil
        }
        let text = scalar.string.trimmingSpaces
        if scalar.style == .plain && isNull(text) {
            log.report(keyPath, "expected \(what), got nothing", at: node)
            return nil
        }
        if scalar.style != .plain && scalar.style != .any {
            log.report(keyPath, "expected \(what), got the quoted text \"\(scalar.string)\"; write numbers without quotes", at: node)
            return nil
        }
        return text
    }

    /// `0x01`, `0x1209`: at least `digits` hexadecimal digits, upper case.
    static func hexadecimal(_ x: Int, digits: Int) -> String {
        let h = String(x, radix: 16, uppercase: true)
        return (x < 0 ? "-0x" : "0x") + String(repeating: "0", count: max(0, digits - h.count + (x < 0 ? 1 : 0))) + h.filter { $0 != "-" }
    }

    private static func isNull(_ text: String) -> Bool {
        ["", "~", "null", "Null", "NULL"].contains(text)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
