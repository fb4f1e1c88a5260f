import Foundation
import XbarInstrument
import XbarStore

/// A self-contained HTML report of runs in a store: a summary of each run and the figures of
/// what it recorded, drawn as inline SVG (no script or style from the network).
public enum RunReport {
    /// The report of `runs`, in the order given.
    ///
    /// - Parameter instruments: where to find the runs' instrument files (for the STM fits'
    ///   starting points); without them STM traces are drawn unfitted.
    /// - Throws: ``StoreError/unknownRun(id:path:)`` for a run the store does not hold, and
    ///   store errors.
    public static func html(store: RunStore, runs: [Int64], instruments: InstrumentCatalog?) throws -> String {
        var body = ""
        for id in runs {
            let run = try store.run(id)
            let instrument = run.draft.instrumentName.flatMap { name in try? instruments?.resolve(name) }
            var sections: [ReportSection] = [summary(run, store: store)]
            sections += try [
                ProgrammingSection.make(store: store, run: run),
                ReadSection.make(store: store, run: run),
                CalibrationSection.make(store: store, run: run),
                ShortTermMemorySection.make(store: store, run: run, instrument: instrument),
                InferenceSection.make(store: store, run: run),
                CharacterizationSection.make(store: store, run: run),
                RetentionSection.make(store: store, run: run, instrument: instrument),
                EnduranceSection.make(store: store, run: run),
                DisturbSection.make(store: store, run: run, instrument: instrument),
            ].compactMap { $0 }
            body += "<article id=\"run-\(id)\"><h1>Run \(id): \(SVGElement.escape(run.draft.kind))</h1>"
                + sections.map(\.html).joined() + "</article>"
        }
        let title = "XbarLab report: run" + (runs.count == 1 ? " " : "s ") + runs.map(String.init).joined(separator: ", ")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(SVGElement.escape(title))</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px; color: #222; max-width: 1500px; }
            h1 { font-size: 22px; border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin-top: 36px; }
            h2 { font-size: 17px; margin: 22px 0 8px; }
            table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
            th { background: #f0f4f8; }
            .figures { display: flex; flex-wrap: wrap; gap: 14px; }
            figure { margin: 0; border: 1px solid #e2e2e2; padding: 6px; background: #fff; }
            figcaption { font-size: 12px; color: #444; margin-top: 4px; max-width: 640px; }
            svg text { font-family: inherit; }
            </style></head>
            <body><p>\(SVGElement.escape(title)) · store \(SVGElement.escape(store.path)) · written \(timestamp(Date()))</p>
            \(body)
            </body></html>

            """
    }

    static func summary(_ run: RunRecord, store: RunStore) -> ReportSection {
        var section = ReportSection(title: "Summary")
        var rows = [["", ""]]
        rows.append(["status", run.status.rawValue + (run.message.map { ": \($0)" } ?? "")])
        rows.append(["user", run.draft.user])
        if let sample = run.draft.sample { rows.append(["sample", sample]) }
        if let note = run.draft.note { rows.append(["note", note]) }
        rows.append(["started", timestamp(run.startedAt) + (run.endedAt.map { ", ended \(timestamp($0)) (\(String(format: "%.1f", $0.timeIntervalSince(run.startedAt))) s)" } ?? "")])
        rows.append(["board", "\(run.draft.backend); \(run.draft.boardModel ?? "-") serial \(run.draft.boardSerial ?? "-") firmware \(run.draft.boardFirmware ?? "-")"])
        rows.append(["instrument", "\(run.draft.instrumentName ?? "-") \(run.draft.instrumentVersion ?? "") digest \(run.draft.instrumentDigest?.prefix(16) ?? "-")"])
        if let c = run.draft.calibrationID, let record = try? store.calibration(c) {
            rows.append(["calibration", "\(c): \(record.path ?? "(no path)") digest \(record.contentDigest.prefix(16))"])
        }
        rows.append(["arguments", run.draft.argumentsJSON])
        if let counts = try? store.operationStateCounts(run: run.id), !counts.isEmpty {
            let pulses = (try? store.pulseCounts(run: run.id)) ?? [:]
            rows.append(["operations", "\(counts.values.reduce(0, +)) logged: \(counts[.done] ?? 0) done, \(counts[.intent] ?? 0) awaiting a result, \(counts[.inDoubt] ?? 0) in doubt; \(pulses[.done] ?? 0) pulses applied"])
        }
        section.table(rows)
        return section
    }

    static func timestamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: date)
    }
}
