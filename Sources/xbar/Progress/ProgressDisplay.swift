import Foundation

/// Progress of a long job, shown on standard error so results on standard output stay clean.
///
/// On a terminal each stage is one line redrawn in place (a bar, the count, the rate and the time
/// left), at most ten times a second; when the stage ends the line stays with its totals. Into a
/// pipe or a file (CI, `2> log`) nothing is redrawn: each finished stage writes one line, at
/// once (standard error is not buffered), so a run killed halfway still shows how far it got.
///
/// The bar is two escape sequences (carriage return, erase line) written by hand rather than
/// with a terminal library; Package.swift says why.
final class ProgressDisplay {
    enum Mode: Equatable {
        /// Nothing is shown.
        case silent
        /// A live bar per stage (standard error is a terminal).
        case terminal(width: Int)
        /// One line per finished stage.
        case lines
        /// JSON progress events on standard output (``JSONLines``), at most two a second per stage.
        case json

        /// A terminal's mode when standard error is one, else lines.
        static func forStandardError() -> Mode {
            guard isatty(STDERR_FILENO) == 1, ProcessInfo.processInfo.environment["TERM"] != "dumb" else { return .lines }
            var size = winsize()
            let columns = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
            return .terminal(width: columns)
        }
    }

    let mode: Mode
    private let write: (String) -> Void
    private var stage: Stage?

    private struct Stage {
        var name: String
        var unit: String
        var total: Int
        var done = 0
        var started: Date
        var lastDrawn: Date?
    }

    /// - Parameter write: where the text goes; standard error unless a test captures it.
    init(mode: Mode, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.mode = mode
        self.write = write
    }

    /// Starts a stage of `total` units (cells, conditions, sweep points), ending the one before.
    func begin(_ name: String, total: Int, unit: String, at now: Date = Date()) {
        end(at: now)
        stage = Stage(name: name, unit: unit, total: total, started: now)
        draw(force: true, at: now)
    }

    /// Sets how many units of the current stage are done; progress never goes backwards.
    func update(done: Int, at now: Date = Date()) {
        guard var s = stage else { return }
        s.done = max(s.done, min(done, s.total))
        stage = s
        draw(force: false, at: now)
    }

    /// Ends the current stage with a line of its totals (on a terminal, the bar's final state).
    func end(at now: Date = Date()) { finish(suffix: "", at: now) }

    /// Abandons the current stage (the job stopped): its line says how far it got.
    func abandon(at now: Date = Date()) { finish(suffix: " (stopped)", at: now) }

    private func finish(suffix: String, at now: Date) {
        guard let s = stage else { return }
        stage = nil
        switch mode {
        case .silent: return
        // The live bar's line is replaced by the totals, which stay.
        case .terminal: write("\r\u{1B}[K" + Self.summary(s, at: now) + suffix + "\n")
        case .lines: write(Self.summary(s, at: now) + suffix + "\n")
        case .json:
            JSONLines.emit("stage", ["stage": s.name, "done": s.done, "total": s.total, "unit": s.unit,
                                     "seconds": now.timeIntervalSince(s.started), "stopped": !suffix.isEmpty])
        }
    }

    private func draw(force: Bool, at now: Date) {
        if mode == .json, var s = stage {
            if !force, let last = s.lastDrawn, now.timeIntervalSince(last) < 0.5 { return }
            s.lastDrawn = now
            stage = s
            JSONLines.emit("progress", ["stage": s.name, "done": s.done, "total": s.total, "unit": s.unit,
                                        "seconds": now.timeIntervalSince(s.started)])
            return
        }
        guard case let .terminal(width) = mode, var s = stage else { return }
        if !force, let last = s.lastDrawn, now.timeIntervalSince(last) < 0.1, s.done < s.total { return }
        s.lastDrawn = now
        stage = s
        write("\r\u{1B}[K" + Self.bar(s, width: width, at: now))
    }

    /// `tile 0  [#########...........]  1234/4096 cells  210/s  14s left`, fitted to `width`.
    private static func bar(_ s: Stage, width: Int, at now: Date) -> String {
        let fraction = s.total > 0 ? Double(s.done) / Double(s.total) : 0
        let elapsed = now.timeIntervalSince(s.started)
        let rate = elapsed > 0 ? Double(s.done) / elapsed : 0
        let left = rate > 0 && s.done > 0 ? duration(Double(s.total - s.done) / rate) + " left" : "-- left"
        let tail = "  \(s.done)/\(s.total) \(s.unit)  \(rateText(rate, unit: s.unit))  \(left)"
        let barWidth = max(10, min(40, width - s.name.count - tail.count - 6))
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let line = "\(s.name)  [" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]" + tail
        return String(line.prefix(max(width - 1, 20)))
    }

    /// `tile 0: 4096/4096 cells in 12.3 s (333 cells/s)`.
    static func summary(_ name: String, done: Int, total: Int, unit: String, seconds: Double) -> String {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        return "\(name): \(done)/\(total) \(unit) in \(String(format: "%.1f", seconds)) s (\(rateText(rate, unit: unit)))"
    }

    private static func summary(_ s: Stage, at now: Date) -> String {
        summary(s.name, done: s.done, total: s.total, unit: s.unit, seconds: now.timeIntervalSince(s.started))
    }

    private static func rateText(_ rate: Double, unit: String) -> String {
        rate >= 10 ? String(format: "%.0f %@/s", rate, unit) : String(format: "%.2g %@/s", rate, unit)
    }

    /// `42s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
