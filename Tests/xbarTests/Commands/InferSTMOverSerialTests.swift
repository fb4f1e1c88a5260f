import Foundation
import Testing

/// `xbar infer` with an event SSM's states on the STM nodes of the board emulator, reached
/// through a real pseudo-terminal: the emulator of the shipped node calibration's board
/// (`usb-4x64-multitau`, seed 1) in another process.
@Suite("xbar infer with the states on the emulator's STM nodes", .serialized)
struct InferSTMOverSerialTests {
    static let model = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_event_ssm_usb-4x64-multitau.safetensors").path
    static let data = XbarExecutable.packageRoot.appendingPathComponent("examples/event_digits_test.safetensors").path

    /// The figure after `prefix` on the line that starts with it.
    static func number(after prefix: String, in output: String) -> Double? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains(prefix) }),
              let range = line.range(of: prefix) else { return nil }
        return Double(line[range.upperBound...].prefix { "0123456789.-".contains($0) })
    }

    func infer(emulatorInstrument: String, lab: LabFolder) throws -> ChildRun {
        let link = lab.path("board")
        let emulator = try BoardEmulatorProcess(instrument: emulatorInstrument, extraArguments: ["--seed", "1", "--link", link])
        defer { _ = emulator.stop() }
        return try lab.run(["infer", "--board", "serial:\(link)", "--instrument", "usb-4x64-multitau", "--model", Self.model,
                            "--data", Self.data, "--engine", "both", "--program", "--limit", "2", "--dither-pairs", "1",
                            "--compare-states"], limit: .seconds(600))
    }

    /// Measured in process on the same board: 34 % rms between the states read and the ideal
    /// recursion (pulse noise, read steps, slow component and read disturb, which the
    /// board-trained model learned), 47 % when every class decays three times slower; through the
    /// emulator, with its own noise streams and one dither pair, about 40 %.
    @Test("the states come from the nodes: they follow the ideal recursion within 50 % rms on the calibrated board, and a board whose nodes decay three times slower is at least 8 points further off")
    func statesFromTheNodes() throws {
        let lab = try LabFolder()
        defer { lab.cleanup() }
        let run = try infer(emulatorInstrument: "usb-4x64-multitau", lab: lab)
        #expect(run.status == 0, "\(run)")
        let out = run.standardOutput
        #expect(out.contains("states: on STM nodes of tile 4"), "\(out)")
        #expect(out.contains("state decays 0,"), "no state decays on the host: \(out)")
        let error = try #require(Self.number(after: "vs the ideal recursion at their calibrated time constants: ", in: out), "\(out)")
        #expect(error < 50, "\(out)")
        let agreement = try #require(Self.number(after: "agreement with the reference: ", in: out))
        #expect(agreement >= 50, "\(out)")
        let pulses = try #require(Self.number(after: "programs, ", in: out))
        #expect(pulses > 1, "pulses per event: \(out)")

        // The same board type whose STM classes decay three times slower than the calibration says.
        let shipped = try String(contentsOfFile: XbarExecutable.instrumentsFolder + "/usb-4x64-multitau.yaml", encoding: .utf8)
        var slow: [String] = []
        var inClasses = false
        for line in shipped.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  short_term_memory_classes:") { inClasses = true }
            if inClasses, line.trimmingCharacters(in: .whitespaces).hasPrefix("tau_seconds: {mean: "),
               let open = line.range(of: "mean: "), let comma = line[open.upperBound...].firstIndex(of: ","),
               let tau = Double(line[open.upperBound..<comma]) {
                slow.append(line.replacingCharacters(in: open.upperBound..<comma, with: String(3 * tau)))
            } else {
                slow.append(String(line))
            }
        }
        let slowPath = lab.path("usb-4x64-multitau.yaml")
        try slow.joined(separator: "\n").write(toFile: slowPath, atomically: true, encoding: .utf8)
        let broken = try infer(emulatorInstrument: slowPath, lab: lab)
        #expect(broken.status == 0, "\(broken)")
        let brokenError = try #require(Self.number(after: "vs the ideal recursion at their calibrated time constants: ", in: broken.standardOutput), "\(broken)")
        #expect(brokenError > error + 8, "\(broken.standardOutput)")
    }
}
