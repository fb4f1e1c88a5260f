import ArgumentParser

/// `-q/--quiet` and `--json`: how a long job shows its progress.
struct ProgressOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Show no progress (results and errors are still printed).")
    var quiet = false
    @Flag(help: "Write one JSON object per line on standard output (progress events, results, the summary); text goes to standard error.")
    var json = false

    /// Switches to JSON lines when asked; a command calls it before printing anything.
    func activate() { if json { JSONLines.activate() } }

    /// The display for this command: JSON progress events with `--json`, silent with
    /// `--quiet`, a live bar on a terminal, else one line per finished stage.
    func display() -> ProgressDisplay {
        ProgressDisplay(mode: json ? .json : quiet ? .silent : .forStandardError())
    }
}
