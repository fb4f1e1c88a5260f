import Testing
import XbarInstrument

/// Values no crossbar test board can have are refused by loading (and so by
/// `xbar instruments check`) with the rule and its range; each rule is tested at its boundary:
/// the bound itself passes, just beyond is refused.
@Suite("physically impossible instrument values")
struct PhysicalBoundsTests {
    static let text = try! RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))

    /// The shipped usb-4x64 with `line` (which must occur exactly once) replaced.
    func parse(replacing line: String, with replacement: String) throws -> Result<Instrument, InstrumentFileError> {
        #expect(Self.text.components(separatedBy: line).count == 2, "\(line) occurs once in usb-4x64.yaml")
        let edited = Self.text.replacingOccurrences(of: line, with: replacement)
        do throws(InstrumentFileError) {
            return .success(try Instrument.parse(yaml: edited, path: "usb-4x64.yaml"))
        } catch {
            return .failure(error)
        }
    }

    /// (line in the file, its value just inside the bound, just outside, key path, words of the refusal)
    static let rules: [(String, String, String, String, String)] = [
        ("max_set_volts: 3.0", "max_set_volts: 20", "max_set_volts: 20.001", "limits.max_set_volts", "at most 20.0 V (no crossbar test board drives pulses above 20 V), got 20.001"),
        ("max_reset_volts: 3.3", "max_reset_volts: 20", "max_reset_volts: 3000", "limits.max_reset_volts", "at most 20.0 V"),
        ("max_read_volts: 0.5", "max_read_volts: 5", "max_read_volts: 5.001", "limits.max_read_volts", "at most 5.0 V (a read or MVM input above 5 V would switch any memristor)"),
        ("max_mvm_volts: 0.3", "max_mvm_volts: 5", "max_mvm_volts: 5.01", "limits.max_mvm_volts", "at most 5.0 V"),
        ("max_pulse_width_seconds: 10.0e-6", "max_pulse_width_seconds: 1", "max_pulse_width_seconds: 1.001", "limits.max_pulse_width_seconds", "at most 1.0 s"),
        ("compliance_amperes: 200.0e-6", "compliance_amperes: 0.1", "compliance_amperes: 0.1001", "limits.compliance_amperes", "at most 0.1 A (a crossbar cell's compliance is micro- to milliamperes)"),
        ("compliance_amperes: 200.0e-6", "compliance_amperes: 1.0e-12", "compliance_amperes: 0", "limits.compliance_amperes", "must be greater than 0"),
        ("compliance_amperes: 200.0e-6", "compliance_amperes: 1.0e-12", "compliance_amperes: -200.0e-6", "limits.compliance_amperes", "got -0.0002"),
        ("max_pulse_energy_joules: 5.0e-9", "max_pulse_energy_joules: 1.0e-3", "max_pulse_energy_joules: 1.1e-3", "limits.max_pulse_energy_joules", "at most 0.001 J"),
        ("read_full_scale_amperes: 40.0e-6", "read_full_scale_amperes: 1", "read_full_scale_amperes: 1.5", "adc.read_full_scale_amperes", "at most 1.0 A"),
        ("full_scale_volts: 0.25", "full_scale_volts: 5", "full_scale_volts: 5.5", "dac.full_scale_volts", "at most 5.0 V"),
        ("g_max_siemens: {mean: 100.0e-6, spread: 0.1}", "g_max_siemens: {mean: 0.01, spread: 0.1}", "g_max_siemens: {mean: 0.0101, spread: 0.1}", "device.non_volatile.g_max_siemens.mean", "at most 0.01 S"),
        ("g_max_siemens: {mean: 100.0e-6, spread: 0.1}", "g_max_siemens: {mean: 100.0e-6, spread: 1}", "g_max_siemens: {mean: 100.0e-6, spread: 5.0}", "device.non_volatile.g_max_siemens.spread", "must be between 0 and 1 (a relative spread, at most 100 % of the mean), got 5.0"),
        ("read_noise_spread: 0.015\n    stuck", "read_noise_spread: 1\n    stuck", "read_noise_spread: 1.01\n    stuck", "device.non_volatile.read_noise_spread", "must be between 0 and 1"),
        ("tau_seconds: {mean: 20.0e-3, spread: 0.2}", "tau_seconds: {mean: 0.4, spread: 0.2}", "tau_seconds: {mean: 86401, spread: 0.2}", "device.short_term_memory.tau_seconds.mean", "at most 86400.0 s"),
        ("ceiling_siemens: {mean: 20.0e-6, spread: 0.1}", "ceiling_siemens: {mean: 0.01, spread: 0.1}", "ceiling_siemens: {mean: 0.02, spread: 0.1}", "device.short_term_memory.ceiling_siemens.mean", "at most 0.01 S"),
    ]

    @Test("each physical bound passes at the bound and refuses just beyond it, naming the key, the rule and the range",
          arguments: Self.rules.indices)
    func boundary(index: Int) throws {
        let (line, inside, outside, keyPath, words) = Self.rules[index]
        if case .failure(let error) = try parse(replacing: line, with: inside) {
            Issue.record("\(inside) was refused: \(error)")
        }
        guard case .failure(let error) = try parse(replacing: line, with: outside) else {
            Issue.record("\(outside) was accepted")
            return
        }
        let problem = try #require(error.problems.first { $0.keyPath == keyPath }, "\(error)")
        #expect(problem.message.contains(words), "\(problem.message)")
    }
}
