import XbarDevice
import XbarWire
import Yams

/// STM device classes: `device.short_term_memory_classes` names populations that override the
/// default `short_term_memory` key by key, and an STM tile's `row_device_classes` says which
/// class each of its rows is.
extension InstrumentFileSchema {
    /// An STM tile's `row_device_classes` as written, before the names are checked against the
    /// declared classes.
    struct RowClassList {
        var tile: UInt8
        var names: [String]
        var nodes: [Node]
        var keyPath: String
    }

    /// A class name: letters, digits, `_` and `-`, so it reads the same in YAML, JSON and
    /// messages.
    static func isClassName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic && $0.isASCII || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// Reads `short_term_memory_classes`. Gives the classes, or nil when any is wrong (each
    /// problem reported with its key path).
    func readClasses(_ s: InstrumentFileSection, inheriting defaults: ShortTermMemoryCellParameters?,
                     limits: ElectricalLimits?) -> [String: ShortTermMemoryCellParameters]? {
        if s.keys.isEmpty {
            log.report(s.keyPath, "declares no class; add named classes of short_term_memory keys or remove the section", at: s.node)
            return nil
        }
        var classes: [String: ShortTermMemoryCellParameters] = [:]
        var failed = false
        for (name, keyNode) in s.keys {
            guard Self.isClassName(name) else {
                log.report(s.path(name), "\"\(name)\" is not a usable class name; use letters, digits, _ and -", at: keyNode)
                _ = s.value(name, required: false)
                failed = true
                continue
            }
            guard let section = s.section(name) else { failed = true; continue }
            if let p = readShortTermMemory(section, limits: limits, inheriting: defaults, isClass: true), defaults != nil {
                classes[name] = p
            } else {
                failed = true
            }
        }
        s.finish()
        return failed ? nil : classes
    }

    /// Reads a tile's `row_device_classes`: a list of class names. Nil after a reported problem.
    func readRowClassList(_ node: Node, at keyPath: String) -> (names: [String], nodes: [Node])? {
        guard case .sequence(let sequence) = node else {
            log.report(keyPath, "expected a list of STM device class names, one per row, got \(InstrumentFileSection.describe(node))", at: node)
            return nil
        }
        var names: [String] = [], nodes: [Node] = []
        var failed = false
        for (i, item) in sequence.enumerated() {
            guard case .scalar(let scalar) = item, Self.isClassName(scalar.string) else {
                log.report("\(keyPath)[\(i)]", "expected an STM device class name, got \(InstrumentFileSection.describe(item))", at: item)
                failed = true
                continue
            }
            names.append(scalar.string)
            nodes.append(item)
        }
        return failed ? nil : (names, nodes)
    }

    /// Checks every row's class against the declared ones. Gives the classes by tile, or nil
    /// after a reported problem.
    func checkRowClasses(_ lists: [RowClassList], declared: [String: ShortTermMemoryCellParameters]) -> [UInt8: [String]]? {
        var out: [UInt8: [String]] = [:]
        var failed = false
        let known = declared.keys.sorted()
        for list in lists {
            for (row, name) in list.names.enumerated() where declared[name] == nil {
                var message = "unknown STM device class \"\(name)\" (row \(row))"
                if known.isEmpty {
                    message += "; declare it in device.short_term_memory_classes"
                } else {
                    message += "; declared in device.short_term_memory_classes: \(known.joined(separator: ", "))"
                    if let suggestion = KeySuggestion.closest(to: name, among: known) { message += "; did you mean \(suggestion)?" }
                }
                log.report("\(list.keyPath)[\(row)]", message, at: list.nodes[row])
                failed = true
            }
            out[list.tile] = list.names
        }
        return failed ? nil : out
    }
}
