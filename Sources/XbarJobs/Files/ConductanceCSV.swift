import Foundation

/// Conductance maps as CSV: one line per row of cells, comma-separated values in siemens,
/// no header. Lines starting with `#` are comments.
public enum ConductanceCSV {
    /// Reads a CSV map.
    ///
    /// - Throws: ``MapFileError`` naming the file, line and column of a value that is not a
    ///   number, or of a line with a different number of values than the first.
    public static func read(path: String) throws(MapFileError) -> ConductanceMap {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw MapFileError(path: path, "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, path: path)
    }

    /// Parses CSV text; `path` is only used in messages.
    public static func parse(_ text: String, path: String) throws(MapFileError) -> ConductanceMap {
        var values: [Double] = []
        var columns: Int?
        var rows = 0
        for (lineIndex, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if let c = columns, fields.count != c {
                throw MapFileError(path: path, "line \(lineIndex + 1): \(fields.count) values, but the first row has \(c)")
            }
            columns = fields.count
            for (k, field) in fields.enumerated() {
                let trimmed = field.trimmingCharacters(in: .whitespaces)
                guard let v = Double(trimmed) else {
                    throw MapFileError(path: path, "line \(lineIndex + 1), column \(k + 1): \"\(trimmed)\" is not a number")
                }
                values.append(v)
            }
            rows += 1
        }
        guard let c = columns else { throw MapFileError(path: path, "the file holds no values") }
        return ConductanceMap(rows: rows, columns: c, siemens: values)
    }

    /// The CSV text of a map, values in siemens with full double precision.
    public static func text(_ map: ConductanceMap) -> String {
        var out = ""
        for r in 0..<map.rows {
            out += (0..<map.columns).map { "\(map[r, $0])" }.joined(separator: ",")
            out += "\n"
        }
        return out
    }

    /// Writes a CSV map.
    public static func write(_ map: ConductanceMap, path: String) throws(MapFileError) {
        do { try text(map).write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw MapFileError(path: path, "cannot write the file (\(error.localizedDescription))")
        }
    }
}
