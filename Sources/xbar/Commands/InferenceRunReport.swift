import Foundation
import XbarStore

/// What `xbar runs show` and `xbar runs export` say of an inference run: accuracy, confusion
/// matrix, backend counts, and the per-sample table.
struct InferenceRunReport {
    var samples: [InferenceSampleRecord]
    var classNames: [String]
    /// Samples the run was started for.
    var expectedCount: Int

    init(store: RunStore, run: RunRecord) throws {
        samples = try store.inferenceSamples(run: run.id)
        let arguments = try? InferArguments.decode(run.draft.argumentsJSON)
        let classes = max(samples.map { max($0.label, $0.prediction) + 1 }.max() ?? 0, arguments?.classNames.count ?? 0)
        classNames = arguments?.classNames ?? (0..<classes).map(String.init)
        expectedCount = arguments?.sampleCount ?? samples.count
    }

    var correct: Int { samples.filter { $0.prediction == $0.label }.count }

    /// Lines for `xbar runs show`.
    var lines: [String] {
        var out: [String] = []
        let accuracy = samples.isEmpty ? 0 : 100 * Double(correct) / Double(samples.count)
        out.append("  samples     \(samples.count) of \(expectedCount) recorded; " + String(format: "accuracy %.2f %% (%d of %d)", accuracy, correct, samples.count))
        for (backend, count) in Dictionary(grouping: samples, by: \.backend).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
            out.append("  backend     \(count) samples: \(backend)")
        }
        guard !samples.isEmpty else { return out }
        let n = classNames.count
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: n), count: n)
        for s in samples where s.label < n && s.prediction < n { matrix[s.label][s.prediction] += 1 }
        out.append("  confusion   rows: true class, columns: predicted class")
        let names = classNames.map { String($0.prefix(8)) }
        let width = max(4, (names.map(\.count).max() ?? 0) + 1)
        func cell(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        out.append("  " + String(repeating: " ", count: width + 2) + names.map(cell).joined())
        for (i, row) in matrix.enumerated() {
            out.append("  " + cell(names[i]) + "  " + row.map { cell(String($0)) }.joined())
        }
        return out
    }

    /// The per-sample table: one line per sample with its logits.
    var csv: String {
        let classes = classNames.count
        var text = "sample,label,prediction,correct,backend,completed_at_unix_seconds"
            + (0..<classes).map { ",logit_\($0)" }.joined() + "\n"
        for s in samples {
            let backend = "\"" + s.backend.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            text += "\(s.sample),\(s.label),\(s.prediction),\(s.prediction == s.label ? 1 : 0),\(backend),\(s.completedAt.timeIntervalSince1970)"
                + s.logits.map { ",\($0)" }.joined() + "\n"
        }
        return text
    }
}
