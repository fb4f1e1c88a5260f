import Testing
import XbarInstrument
import XbarWire

/// A board that enforces any one limit other than the file's is refused, naming that limit's key:
/// the compliance above all, since no request carries it and the host relies on the board's.
@Suite("IDENTIFY: every limit compared with the instrument file")
struct LimitMismatchTests {
    static let changes: [(String, @Sendable (inout ElectricalLimits) -> Void)] = [
        ("limits.max_set_volts", { $0.maxSetVolts *= 1.1 }),
        ("limits.max_reset_volts", { $0.maxResetVolts *= 1.1 }),
        ("limits.max_read_volts", { $0.maxReadVolts *= 1.1 }),
        ("limits.max_mvm_volts", { $0.maxMVMVolts *= 1.1 }),
        ("limits.min_pulse_width_seconds", { $0.minPulseWidthSeconds *= 1.1 }),
        ("limits.max_pulse_width_seconds", { $0.maxPulseWidthSeconds *= 1.1 }),
        ("limits.compliance_amperes", { $0.complianceAmperes *= 2 }),
        ("limits.max_pulse_energy_joules", { $0.maxPulseEnergyJoules *= 1.1 }),
        ("limits.max_read_averages", { $0.maxReadAverages += 1 }),
        ("limits.max_read_train_length", { $0.maxReadTrainLength += 1 }),
        ("limits.max_program_actions", { $0.maxProgramActions += 1 }),
    ]

    @Test("a board differing in one limit draws exactly one mismatch, naming that limit's key", arguments: changes.indices)
    func oneLimit(index: Int) throws {
        let (key, change) = Self.changes[index]
        let instrument = try Instrument.load(path: RepositoryFiles.shipped("usb-4x64"))
        var identity = instrument.identity(serialNumber: "A", firmwareVersion: "1")
        change(&identity.limits)
        let found = instrument.mismatches(with: identity)
        #expect(found.count == 1, "\(key): \(found)")
        #expect(found.first?.hasPrefix(key + ":") == true, "\(key): \(found)")
    }
}
