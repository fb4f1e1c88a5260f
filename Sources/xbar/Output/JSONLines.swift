import ArgumentParser
import Foundation
import Synchronization

/// Machine-readable output: with `--json` a command's standard output carries only JSON
/// objects, one per line (progress events, results, the final summary), each with an `event`
/// naming what it is. Everything written for people goes to standard error instead, so a
/// pipeline reads standard output line by line with any JSON parser.
///
/// Activation moves the process's standard output to standard error and keeps the original
/// descriptor for the JSON lines; it happens before a command prints anything.
enum JSONLines {
    private static let output = Mutex<Int32?>(nil)

    static var isActive: Bool { output.withLock { $0 != nil } }

    static func activate() {
        output.withLock { descriptor in
            guard descriptor == nil else { return }
            fflush(nil)
            let saved = dup(STDOUT_FILENO)
            guard saved >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else { return }
            descriptor = saved
        }
    }

    /// Writes one object `{"event": event, ...fields}` on a line of its own, at once. Does
    /// nothing without `--json`. Numbers that are not finite are written as null (JSON has none).
    static func emit(_ event: String, _ fields: [String: Any] = [:]) {
        output.withLock { descriptor in
            guard let descriptor else { return }
            var object = fields.mapValues(Self.jsonValue)
            object["event"] = event
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
            var line = [UInt8](data)
            line.append(UInt8(ascii: "\n"))
            line.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { return }
                    offset += n
                }
            }
        }
    }

    private static func jsonValue(_ value: Any) -> Any {
        // An optional boxed as Any: its value, or null.
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return NSNull() }
            return jsonValue(wrapped)
        }
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        // Single precision as the board sends it: its shortest decimal, not the widened binary value.
        case let f as Float: return f.isFinite ? (Double("\(f)") ?? Double(f)) : NSNull()
        case let array as [Any]: return array.map(jsonValue)
        case let dictionary as [String: Any]: return dictionary.mapValues(jsonValue)
        default: return value
        }
    }
}

/// `--json`: one JSON object per line on standard output, text for people on standard error.
struct JSONOption: ParsableArguments {
    @Flag(help: "Write one JSON object per line on standard output (progress, results, summary); text goes to standard error.")
    var json = false

    /// Switches to JSON lines when asked; call before printing anything.
    func activate() { if json { JSONLines.activate() } }
}
