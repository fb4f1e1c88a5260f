import ArgumentParser
import Foundation
import XbarJobs
import XbarStore

/// `xbar runs`: what the run store holds.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List, show and export runs recorded in the run store.",
        discussion: """
            Examples:
              xbar runs list
              xbar runs show 3
              xbar runs export 3 --format npy --out shadow.npy
            """,
        subcommands: [List.self, Show.self, Export.self],
        defaultSubcommand: List.self)
}

extension RunsCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List runs, newest first, with the sample (chip) each ran on and its note.",
            discussion: "Examples:\n  xbar runs list --store lab.sqlite\n  xbar runs list --sample W3-D17")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Option(help: ArgumentHelp("Only the runs on this sample (as given with --sample when they ran).", valueName: "name"))
        var sample: String?

        func run() throws {
            output.activate()
            let store = try storeOptions.openForReading()
            let runs = try store.runs().filter { sample == nil || $0.draft.sample == sample }
            if runs.isEmpty {
                print(sample.map { "no runs on sample \($0) in \(store.path)" } ?? "no runs in \(store.path)")
                return
            }
            var rows = [["ID", "KIND", "STATUS", "USER", "STARTED (UTC)", "BACKEND", "INSTRUMENT", "SAMPLE", "NOTE"]]
            for r in runs {
                let note = r.draft.note.map { $0.count > 48 ? String($0.prefix(47)) + "…" : $0 } ?? ""
                rows.append([String(r.id), r.draft.kind, r.status.rawValue, r.draft.user, timestamp(r.startedAt),
                             r.draft.backend, r.draft.instrumentName ?? "-", r.draft.sample ?? "-", note])
                if JSONLines.isActive { JSONLines.emit("run", r.jsonFields) }
            }
            printTable(rows)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show a run: who, board, instrument, arguments, operations, per-cell outcome counts; for inference runs accuracy, confusion matrix and backends.",
            discussion: "Example:\n  xbar runs show 3")

        @OptionGroup var storeOptions: StoreOptions
        @OptionGroup var output: JSONOption
        @Argument(help: "Run id (see `xbar runs list`).")
        var runID: Int64

        func run() throws {
            output.activate()
            let store = try storeOptions.openForReading()
            let r = try store.run(runID)
            if JSONLines.isActive { try emit(r, store: store) }
            print("run \(r.id): \(r.draft.kind), \(r.status.rawValue)")
            print("  user        \(r.draft.user)")
            print("  started     \(timestamp(r.startedAt))" + (r.endedAt.map { ", ended \(timestamp($0))" } ?? ""))
            print("  backend     \(r.draft.backend)")
            print("  board       \(r.draft.boardModel ?? "-") serial \(r.draft.boardSerial ?? "-") firmware \(r.draft.boardFirmware ?? "-")")
            print("  instrument  \(r.draft.instrumentName ?? "-") version \(r.draft.instrumentVersion ?? "-") digest \(r.draft.instrumentDigest ?? "-")")
            if let c = r.draft.calibrationID {
                let used = try? store.calibration(c)
                print("  calibration \(c)" + (used.map { ": \($0.path ?? "(no path)") digest \($0.contentDigest.prefix(16))" } ?? ""))
            }
            if let sample = r.draft.sample { print("  sample      \(sample)") }
            if let note = r.draft.note { print("  note        \(note)") }
            print("  arguments   \(r.draft.argumentsJSON)")
            if let m = r.message { print("  message     \(m)") }
            // Counted in the store: a whole array's ledger is some hundred thousand rows.
            let byState = try store.operationStateCounts(run: runID)
            let logged = byState.values.reduce(0, +)
            // Jobs that journal operations (program, read, pulse) count them; STM sweeps, calibrations
            // and inference record what they measured instead, shown below.
            if logged > 0 || ["program", "read", "pulse"].contains(r.draft.kind) {
                print("  operations  \(logged) logged: \(byState[.done] ?? 0) done, \(byState[.intent] ?? 0) awaiting a result, "
                      + "\(byState[.inDoubt] ?? 0) in doubt, \(byState[.notApplied] ?? 0) never ran, \(byState[.applied] ?? 0) ran without a result")
                let pulses = try store.pulseCounts(run: runID)
                print("  pulses      \(try store.appliedPulses(run: runID)) applied, \((pulses[.intent] ?? 0) + (pulses[.inDoubt] ?? 0)) in doubt, "
                      + "\(pulses[.notApplied] ?? 0) logged but never applied")
                for (k, session) in try store.boardSessions(run: runID).enumerated() {
                    print("  session \(k)   board \(session.session.map(BoardSessionRecord.text) ?? "(none)"): counter \(session.counterStart), "
                          + "ledger \(session.ledgerStart) when the run reached it")
                }
            }
            let traces = try store.traces(run: runID)
            if !traces.isEmpty {
                let nodes = Set(traces.map { [$0.tile, $0.row, $0.column] }).count
                let points = Set(traces.filter { $0.point >= 0 }.map(\.point)).count
                let reads = traces.reduce(0) { $0 + $1.conductancesSiemens.count }
                let pulses = traces.reduce(0) { $0 + $1.pulseCount }
                print("  STM traces  \(traces.count) read trains of \(nodes) nodes, \(points) sweep points, \(pulses) pulses, \(reads) reads")
            }
            let curves = try store.pulseResponses(run: runID)
            if !curves.isEmpty {
                let cells = Set(curves.map { [$0.tile, $0.row, $0.column] }).count
                let byPolarity = Dictionary(grouping: curves, by: \.polarity)
                let conditions: String = byPolarity.keys.sorted().map { polarity -> String in
                    let list = byPolarity[polarity]!
                    let amplitudes = Set(list.map { "\(format($0.amplitudeVolts)) V x \(format($0.widthSeconds)) s" }).count
                    return "\(list.count) \(polarity) at \(amplitudes) conditions"
                }.joined(separator: ", ")
                let pulses = curves.reduce(0) { $0 + max(0, $1.conductancesSiemens.count - 1) }
                print("  curves      \(curves.count) pulse-response curves of \(cells) cells (\(conditions)), \(pulses) pulses")
            }
            for c in try store.calibrations(madeBy: runID) {
                print("  made        calibration \(c.id): \(c.path ?? "(no path)"), format \(c.formatVersion.map(String.init) ?? "-"), "
                      + "created \(timestamp(c.createdAt)), digest \(c.contentDigest.prefix(16)), "
                      + "instrument \(c.instrumentName) digest \(c.instrumentDigest.map { String($0.prefix(16)) } ?? "-")")
            }
            if r.draft.kind == "infer" {
                for line in try InferenceRunReport(store: store, run: r).lines { print(line) }
            }
            let outcomes = try store.outcomes(run: runID)
            if !outcomes.isEmpty {
                for (tile, cells) in Dictionary(grouping: outcomes, by: \.tile).sorted(by: { $0.key < $1.key }) {
                    let counts = Dictionary(grouping: cells, by: \.outcome).mapValues(\.count)
                    let mean = Double(cells.reduce(0) { $0 + $1.pulses }) / Double(cells.count)
                    let summary = CellOutcome.allCases.map { "\(counts[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
                    print("  tile \(tile)      \(cells.count) cells: \(summary); " + String(format: "%.2f pulses per cell", mean))
                }
            }
        }

        /// The run as one `--json` object: its record and the figures `runs show` prints.
        func emit(_ r: RunRecord, store: RunStore) throws {
            var fields = r.jsonFields
            let states = try store.operationStateCounts(run: r.id)
            fields["operations"] = Dictionary(uniqueKeysWithValues: states.map { ($0.key.rawValue, $0.value) })
            fields["pulsesApplied"] = try store.appliedPulses(run: r.id)
            let outcomes = try store.outcomes(run: r.id)
            fields["tiles"] = Dictionary(grouping: outcomes, by: \.tile).sorted { $0.key < $1.key }.map { tile, cells -> [String: Any] in
                let counts = Dictionary(grouping: cells, by: \.outcome).mapValues(\.count)
                return ["tile": tile, "cells": cells.count, "outcomes": counts,
                        "pulsesPerCell": Double(cells.reduce(0) { $0 + $1.pulses }) / Double(max(cells.count, 1))]
            }
            let traces = try store.traces(run: r.id)
            if !traces.isEmpty {
                fields["stmTraces"] = ["trains": traces.count, "pulses": traces.reduce(0) { $0 + $1.pulseCount },
                                       "reads": traces.reduce(0) { $0 + $1.conductancesSiemens.count }]
            }
            let samples = try store.inferenceSamples(run: r.id)
            if !samples.isEmpty {
                let correct = samples.filter { $0.label == $0.prediction }.count
                fields["inference"] = ["samples": samples.count, "correct": correct, "accuracy": Double(correct) / Double(samples.count),
                                       "backends": Dictionary(grouping: samples, by: \.backend).mapValues(\.count)]
            }
            fields["calibrationsMade"] = try store.calibrations(madeBy: r.id).map { c -> [String: Any] in
                ["calibration": c.id, "path": c.path as Any]
            }
            JSONLines.emit("run", fields)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export a run's conductance map (the shadow map, or the last full reads) as .npy or .csv, or its per-cell outcomes as CSV.",
            discussion: """
                The format is the extension of --out (.npy or .csv); --format, when given, must \
                agree with it. The map is siemens, tiles stacked vertically in tile order. With --cells the CSV has \
                one line per cell: tile,row,column,target_siemens,final_siemens,outcome,pulses. For \
                an stm or calibrate run, --format csv writes its STM traces, one line per read \
                (board time in nanoseconds, seconds after the pulse, conductance in siemens). For \
                an infer run, --format csv writes one line per sample: index in the data set, label, \
                prediction, whether it is right, the backend that computed it, when, and its logits. \
                A form or sweep run exports its I–V points (tile,row,column,step,board_time_ns,volts, \
                amperes,read_amperes; .npy: the same eight columns as float64), and with --cells one \
                line per cell (forming outcome and voltage; SET and RESET voltages and on/off ratio). For a \
                retention, endurance or disturb run the file has one line per read: \
                series,tile,row,column,x,siemens, where x is seconds since programming, cycles, or \
                disturbing pulses so far (in .npy a float64 table of those six columns, the series \
                as its index in the order the command prints).

                Examples:
                  xbar runs export 3 --out shadow.npy
                  xbar runs export 3 --cells --out cells.csv
                  xbar runs export 4 --format csv --out traces.csv
                  xbar runs export 7 --format csv --out samples.csv
                  xbar runs export 9 --cells --out forming.csv
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case csv, npy }

        /// The format `--out` names by its extension, if any.
        static func format(ofPath path: String) -> Format? {
            Format(rawValue: URL(fileURLWithPath: path).pathExtension.lowercased())
        }

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "Run id (see `xbar runs list`).")
        var runID: Int64
        @Option(name: .customLong("format"), help: "csv or npy; optional, as the extension of --out says it (a disagreement is refused).")
        var formatOption: Format?
        @Option(help: "Output file: .npy or .csv.")
        var out: String

        /// The format, from the extension of `--out` (checked in ``validate()``).
        var format: Format { Self.format(ofPath: out) ?? formatOption ?? .csv }
        @Flag(help: "Export per-cell outcomes (CSV only) instead of the map.")
        var cells = false

        func validate() throws {
            guard let byExtension = Self.format(ofPath: out) else {
                throw ValidationError("--out \(out): name a .npy or .csv file; the format is taken from the extension")
            }
            if let formatOption, formatOption != byExtension {
                throw ValidationError("--format \(formatOption.rawValue) disagrees with --out \(out), a .\(byExtension.rawValue) file: "
                                      + "leave out --format (the extension decides) or name a .\(formatOption.rawValue) file")
            }
            if cells && format != .csv { throw ValidationError("--cells exports a CSV table; use --format csv") }
            try OutputPath.check(out, "--out")
        }

        func run() throws {
            let store = try storeOptions.openForReading()
            let record = try store.run(runID)
            if format == .csv && !cells && ["stm", "calibrate"].contains(record.draft.kind) {
                let traces = try store.traces(run: runID)
                guard !traces.isEmpty else { throw ValidationError("run \(runID) (\(record.draft.kind)) stored no STM traces") }
                try traces.map(STMTrace.init).csv().write(toFile: out, atomically: true, encoding: .utf8)
                print("wrote \(traces.count) STM traces (\(traces.reduce(0) { $0 + $1.conductancesSiemens.count }) reads) of run \(runID) to \(out)")
                return
            }
            if try exportCharacterization(record, store: store) { return }
            if ["retention", "endurance", "disturb"].contains(record.draft.kind) && !cells {
                let table = CellSeriesTable(try store.series(run: runID))
                guard table.readCount > 0 else { throw ValidationError("run \(runID) (\(record.draft.kind)) stored no reads") }
                switch format {
                case .csv: try table.csv.write(toFile: out, atomically: true, encoding: .utf8)
                case .npy: try NPYFile.write(table.matrix, path: out)
                }
                print("wrote \(table.readCount) reads of run \(runID) (\(table.names.joined(separator: ", "))) to \(out)"
                      + (format == .npy ? "; columns: series index, tile, row, column, x, siemens" : ""))
                return
            }
            if record.draft.kind == "infer" {
                guard format == .csv, !cells else {
                    throw ValidationError("run \(runID) is an inference run: its per-sample table exports with --format csv")
                }
                let report = try InferenceRunReport(store: store, run: record)
                try report.csv.write(toFile: out, atomically: true, encoding: .utf8)
                print("wrote \(report.samples.count) samples of run \(runID) to \(out)")
                return
            }
            if cells {
                let outcomes = try store.outcomes(run: runID)
                guard !outcomes.isEmpty else { throw ValidationError("run \(runID) has no per-cell outcomes (only program runs do)") }
                var text = "tile,row,column,target_siemens,final_siemens,outcome,pulses\n"
                for o in outcomes {
                    text += "\(o.tile),\(o.row),\(o.column),\(o.targetSiemens),\(o.finalSiemens),\(o.outcome),\(o.pulses)\n"
                }
                try text.write(toFile: out, atomically: true, encoding: .utf8)
                print("wrote \(outcomes.count) cells of run \(runID) to \(out)")
                return
            }
            var tiles: [Int: ConductanceMap] = [:]
            for (index, t) in try store.shadowMap(run: runID).tiles {
                tiles[index] = ConductanceMap(rows: t.rows, columns: t.columns, siemens: t.siemens)
            }
            if tiles.isEmpty {
                for entry in try store.journal(run: runID) where entry.state == .done {
                    if case let .read(tile, nil, rows, columns, _, _, _) = entry.operation {
                        tiles[tile] = ConductanceMap(rows: rows, columns: columns, siemens: entry.measuredSiemens)
                    }
                }
            }
            guard !tiles.isEmpty else { throw ValidationError("run \(runID) has no shadow map and no completed full-tile reads to export") }
            let map = ConductanceMap.stacked(tiles.keys.sorted().map { tiles[$0]! })
            switch format {
            case .npy: try NPYFile.write(map, path: out)
            case .csv: try ConductanceCSV.write(map, path: out)
            }
            print("wrote the \(map.rows)x\(map.columns) map (siemens, tiles \(tiles.keys.sorted().map(String.init).joined(separator: ", "))) of run \(runID) to \(out)")
        }
    }
}

/// `yyyy-MM-dd HH:mm:ss` in UTC. Formatted by hand: `runs list` prints a thousand of them, and
/// a DateFormatter per line took half the command's time.
func timestamp(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return String(format: "%04d-%02d-%02d %02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                  Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
}

func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = (0..<first.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    // One write for the whole table: a list of a thousand runs is a thousand lines.
    var text = ""
    for row in rows {
        text += row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] + 2 - $0.element.count) }.joined()
        text += "\n"
    }
    print(text, terminator: "")
}
