import ArgumentParser

/// `-q/--quiet` and `--json`: how a long job shows its progress.
struct ProgressOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Show no progress and log only errors (results and errors are still printed).")
    var quiet = false
    @Flag(name: [.short, .long], help: "Log everything the link and the board report (each resend, each malformed frame, each closed link) on standard error.")
    var verbose = false
    @OptionGroup var output: JSONOption

    /// Switches to JSON lines when asked and sets how much is logged; a command calls it
    /// before printing anything or reaching a board.
    func activate() {
        output.activate()
        LogVerbosity.level = verbose ? .debug : quiet ? .error : .warning
    }

    /// The display for this command: JSON progress events with `--json`, silent with
    /// `--quiet`, a live bar on a terminal, else one line per finished stage.
    func display() -> ProgressDisplay {
        ProgressDisplay(mode: output.json ? .json : quiet ? .silent : .forStandardError())
    }
}
