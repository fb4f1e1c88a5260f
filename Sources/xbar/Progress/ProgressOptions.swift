import ArgumentParser

/// `-q/--quiet` and `--json`: how a long job shows its progress.
struct ProgressOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Show no progress (results and errors are still printed).")
    var quiet = false
    @OptionGroup var output: JSONOption

    /// Switches to JSON lines when asked; a command calls it before printing anything.
    func activate() { output.activate() }

    /// The display for this command: JSON progress events with `--json`, silent with
    /// `--quiet`, a live bar on a terminal, else one line per finished stage.
    func display() -> ProgressDisplay {
        ProgressDisplay(mode: output.json ? .json : quiet ? .silent : .forStandardError())
    }
}
