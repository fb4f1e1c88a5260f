import Testing

/// `--scheme` (xbar pulse) and `--bias-scheme` (xbar program) take the same words.
@Suite("bias schemes on the command line")
struct BiasSchemeArgumentTests {
    @Test("xbar pulse takes the short and the long spelling of a scheme alike", arguments: ["half", "half-voltage", "third", "third-voltage", "grounded"])
    func spellings(scheme: String) throws {
        let run = try XbarExecutable.run(["pulse", "--board", "sim", "--instrument", "serial-32x32", "--cells", "0,0",
                                          "--volts", "1.5", "--width", "1e-6", "--scheme", scheme])
        #expect(run.status == 0, "\(run)")
        #expect(run.standardOutput.contains("applied"))
    }

    @Test("an unknown scheme is refused with the accepted words named, for pulse and program alike")
    func unknown() throws {
        let pulse = try XbarExecutable.run(["pulse", "--board", "sim", "--instrument", "serial-32x32", "--cells", "0,0",
                                            "--volts", "1.5", "--width", "1e-6", "--scheme", "quarter"])
        let program = try XbarExecutable.run(["program", "--board", "sim", "--instrument", "serial-32x32", "--target", "none.npy",
                                              "--bias-scheme", "quarter"])
        for run in [pulse, program] {
            #expect(run.status != 0)
            #expect(run.standardError.contains("'quarter' is invalid"), "\(run)")
            #expect(run.standardError.contains("'half-voltage'"), "\(run)")
        }
    }
}
