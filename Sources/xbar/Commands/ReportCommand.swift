import ArgumentParser
import Foundation
import XbarInstrument
import XbarReport
import XbarStore

/// `xbar report`: one HTML file with the figures of chosen runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a self-contained HTML report with figures of one or more runs.",
        discussion: """
            One file, no network: every figure is inline SVG with axes, units and ticks. What a \
            run recorded decides what is drawn: for a programming run, per-tile maps of target, \
            achieved and error, achieved against target, error and pulses-per-cell histograms and \
            the write-verify trajectories of chosen cells; for STM and calibration runs, the decay \
            traces with their fitted law, the distribution and groups of time constants, and the \
            pulse-response curves with the fitted switching law and its device-to-device spread; \
            for an inference run, accuracy by backend, the confusion matrix and the backend of \
            every sample.

            Examples:
              xbar report 3 --out report.html
              xbar report 1 2 3 4 --out lab-day.html --store lab.sqlite
            """)

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Run ids (see `xbar runs list`).")
    var runIDs: [Int64]
    @Option(help: "Output file (.html).")
    var out: String
    @Option(name: .customLong("instruments-dir"), help: "Folder of instrument files (default: ./instruments or beside the executable).")
    var instrumentsDirectory: String?

    func validate() throws {
        guard !runIDs.isEmpty else { throw ValidationError("name at least one run (see `xbar runs list`)") }
        guard out.lowercased().hasSuffix(".html") || out.lowercased().hasSuffix(".htm") else {
            throw ValidationError("--out \(out): a report is an HTML file; name it .html")
        }
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
              FileManager.default.isWritableFile(atPath: folder) else {
            throw ValidationError("--out \(out): the folder \(folder) does not exist or is not writable")
        }
    }

    func run() throws {
        let store = try storeOptions.open()
        let catalog = try? InstrumentCatalog.locate(explicitDirectory: instrumentsDirectory)
        let html = try RunReport.html(store: store, runs: runIDs, instruments: catalog)
        try html.write(toFile: out, atomically: true, encoding: .utf8)
        print("wrote the report of run\(runIDs.count == 1 ? "" : "s") \(runIDs.map(String.init).joined(separator: ", ")) to \(out) (\(html.utf8.count / 1024) KiB)")
    }
}
