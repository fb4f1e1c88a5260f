import ArgumentParser
import Foundation

/// What a user says of a run when starting it: recorded with the run, shown by `xbar runs`.
struct RunLabelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A note recorded with the run (shown by `xbar runs list` and `runs show`).", valueName: "text"))
    var note: String?
    @Option(help: ArgumentHelp("The chip or device under test, e.g. a wafer and die id; `xbar runs list --sample NAME` lists its runs.",
                               valueName: "name"))
    var sample: String?

    func validate() throws {
        if let note, note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || note.count > 500 {
            throw ValidationError("--note: give 1 to 500 characters, got \(note.count)")
        }
        if let sample {
            guard !sample.isEmpty, sample.count <= 100, sample.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:/#".contains($0) }) else {
                throw ValidationError("--sample \"\(sample)\": a name of 1 to 100 letters, digits and - _ . : / #")
            }
        }
    }
}
