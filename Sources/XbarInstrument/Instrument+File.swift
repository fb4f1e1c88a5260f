import Foundation
import XbarDevice
import XbarWire
import Yams

extension Instrument {
    /// Loads and validates an instrument file.
    ///
    /// - Parameter path: a YAML file in the format of the files in `instruments/`.
    /// - Throws: ``InstrumentFileError`` listing every problem found: an unreadable file, a
    ///   YAML syntax error (with line and column), unknown, missing or mistyped keys, values out
    ///   of range. Values merely unusual for real devices are not errors; see ``realismWarnings``.
    public static func load(path: String) throws(InstrumentFileError) -> Instrument {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InstrumentFileError(path: path, problems: [
                InstrumentProblem(keyPath: "", message: "no such file; give the path of an instrument file (.yaml) or a name from `xbar instruments`"),
            ])
        }
        guard !isDirectory.boolValue else {
            throw InstrumentFileError(path: path, problems: [
                InstrumentProblem(keyPath: "", message: "is a folder; give one instrument file in it (.yaml)"),
            ])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InstrumentFileError(path: path, problems: [
                InstrumentProblem(keyPath: "", message: "cannot read the file; check its permissions"),
            ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InstrumentFileError(path: path, problems: [
                InstrumentProblem(keyPath: "", message: "the file is not UTF-8 text"),
            ])
        }
        return try parse(yaml: text, path: path)
    }

    /// Parses and validates the text of an instrument file.
    ///
    /// - Parameters:
    ///   - yaml: the file's text.
    ///   - path: where it came from, for messages; its stem is the instrument's name unless the
    ///     file has a `name` key (which must then equal the stem, so names and files agree).
    /// - Throws: ``InstrumentFileError`` with every problem found, as for ``load(path:)``.
    public static func parse(yaml: String, path: String) throws(InstrumentFileError) -> Instrument {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw InstrumentFileError(path: path, problems: [syntaxProblem(error)])
        }
        guard let root else {
            throw InstrumentFileError(path: path, problems: [
                InstrumentProblem(keyPath: "", message: "the file is empty; an instrument file is a YAML mapping with keys such as model, version, transport, tiles, limits, device"),
            ])
        }
        let log = InstrumentProblemLog()
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let instrument = InstrumentFileSchema(log: log, fileStem: stem).read(root)
        guard log.problems.isEmpty, var instrument else {
            throw InstrumentFileError(path: path, problems: log.sortedProblems)
        }
        instrument.path = path
        return instrument
    }

    private static func syntaxProblem(_ error: any Error) -> InstrumentProblem {
        guard let yamlError = error as? YamlError else {
            return InstrumentProblem(keyPath: "", message: "YAML syntax error: \(error)")
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return InstrumentProblem(keyPath: "", message: message, line: mark.line, column: mark.column)
        case let .reader(problem, offset, _, _):
            let at = offset.map { " at byte \($0)" } ?? ""
            return InstrumentProblem(keyPath: "", message: "cannot read the text as YAML\(at): \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return InstrumentProblem(keyPath: duplicates.joined(separator: ", "),
                                     message: "appears more than once in the same mapping; keep one",
                                     line: context.mark.line, column: context.mark.column)
        default:
            return InstrumentProblem(keyPath: "", message: "YAML syntax error: \(yamlError)")
        }
    }
}
