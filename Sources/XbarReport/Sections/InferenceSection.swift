import Foundation
import XbarStore

/// An inference run: accuracy by backend, the confusion matrix, and which backend computed
/// each sample (the board, or the twin after a failure).
enum InferenceSection {
    static func make(store: RunStore, run: RunRecord) throws -> ReportSection? {
        let samples = try store.inferenceSamples(run: run.id)
        guard !samples.isEmpty else { return nil }
        var section = ReportSection(title: "Inference")
        let right = samples.filter { $0.label == $0.prediction }.count
        var rows = [["backend", "samples", "accuracy"]]
        for (backend, list) in Dictionary(grouping: samples, by: \.backend).sorted(by: { $0.key < $1.key }) {
            let r = list.filter { $0.label == $0.prediction }.count
            rows.append([backend, "\(list.count)", String(format: "%.2f %% (%d of %d)", 100 * Double(r) / Double(list.count), r, list.count)])
        }
        rows.append(["all", "\(samples.count)", String(format: "%.2f %% (%d of %d)", 100 * Double(right) / Double(samples.count), right, samples.count)])
        section.table(rows)
        let classes = max(samples.map(\.label).max() ?? 0, samples.map(\.prediction).max() ?? 0) + 1
        var matrix = [Double](repeating: 0, count: classes * classes)
        for s in samples { matrix[s.label * classes + s.prediction] += 1 }
        var confusion = Heatmap(title: "Confusion matrix (rows: label, columns: prediction)", rows: classes, columns: classes,
                                values: matrix, unit: "")
        confusion.annotate = true
        confusion.rowLabel = "label"
        confusion.columnLabel = "prediction"
        section.figures.append(confusion.figure)
        let backends = Array(Set(samples.map(\.backend))).sorted()
        var strip = XYPlot(title: "Backend of each sample (filled: right, small: wrong)", x: .init(label: "Sample", unit: ""),
                           y: .init(label: "Backend", unit: ""))
        strip.width = 640
        strip.height = 120 + 24 * Double(backends.count)
        for (i, backend) in backends.enumerated() {
            let list = samples.filter { $0.backend == backend }
            strip.points(list.filter { $0.label == $0.prediction }.map { (Double($0.sample), Double(i)) }, color: SeriesColor.at(i), radius: 2.4,
                         label: backend)
            strip.points(list.filter { $0.label != $0.prediction }.map { (Double($0.sample), Double(i)) }, color: SeriesColor.at(i), radius: 1)
        }
        section.figures.append(strip.figure)
        return section
    }
}
