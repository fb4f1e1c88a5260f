import Foundation
import Testing

/// `--bias-scheme` takes the same words on xbar pulse and xbar program.
@Suite("bias schemes on the command line")
struct BiasSchemeArgumentTests {
    @Test("xbar pulse takes the short and the long spelling of a scheme alike", arguments: ["half", "half-voltage", "third", "third-voltage", "grounded"])
    func spellings(scheme: String) throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("xbar-scheme-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) } }
        let run = try XbarExecutable.run(["pulse", "--board", "sim", "--instrument", "serial-32x32", "--cells", "0:0",
                                          "--volts", "1.5", "--width", "1e-6", "--bias-scheme", scheme, "--store", store])
        #expect(run.status == 0, "\(run)")
        #expect(run.standardOutput.contains("applied"))
        // The pulse is a run of its own, its scheme recorded.
        let shown = try XbarExecutable.run(["runs", "show", "1", "--store", store])
        #expect(shown.standardOutput.contains("run 1: pulse, completed") && shown.standardOutput.contains("1 applied"), "\(shown)")
    }

    @Test("an unknown scheme is refused with the accepted words named, for pulse and program alike")
    func unknown() throws {
        let pulse = try XbarExecutable.run(["pulse", "--board", "sim", "--instrument", "serial-32x32", "--cells", "0:0",
                                            "--volts", "1.5", "--width", "1e-6", "--bias-scheme", "quarter"])
        let program = try XbarExecutable.run(["program", "--board", "sim", "--instrument", "serial-32x32", "--target", "none.npy",
                                              "--bias-scheme", "quarter"])
        for run in [pulse, program] {
            #expect(run.status != 0)
            #expect(run.standardError.contains("'quarter' is invalid"), "\(run)")
            #expect(run.standardError.contains("'half-voltage'"), "\(run)")
        }
    }
}
