import Testing
import XbarDevice
import XbarInstrument

@Suite("the wear section of instrument files")
struct WearSectionTests {
    @Test("the shipped boards wear: usb-4x64's 1T1R cells a median 1e6 cycles, serial-32x32's passive ones 1e5, with no realism warning")
    func shippedWear() throws {
        let usb = try Instrument.load(path: RepositoryFiles.shipped("usb-4x64"))
        let serial = try Instrument.load(path: RepositoryFiles.shipped("serial-32x32"))
        #expect(usb.device.nonVolatile.wear?.enduranceMedianCycles == 1e6)
        #expect(serial.device.nonVolatile.wear?.enduranceMedianCycles == 1e5)
        #expect(usb.realismWarnings.isEmpty && serial.realismWarnings.isEmpty, "\(usb.realismWarnings + serial.realismWarnings)")
        // The section is part of what identifies the file.
        var worn = usb
        worn.device.nonVolatile.wear?.enduranceMedianCycles = 2e6
        #expect(worn.contentDigest != usb.contentDigest)
    }

    @Test("a wear value out of its range is refused with its key path; a legal but unrealistic one warns")
    func refusedAndWarned() throws {
        let base = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let broken = base.replacingOccurrences(of: "window_loss_at_failure: 0.4", with: "window_loss_at_failure: 1.5")
        #expect(broken != base)
        let error = #expect(throws: InstrumentFileError.self) { try Instrument.parse(yaml: broken, path: "usb-4x64.yaml") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("device.non_volatile_wear.window_loss_at_failure"), "\(String(describing: error))")
        // 1e4 cycles is a legal number but no oxide RRAM array the literature reports.
        let short = base.replacingOccurrences(of: "endurance_median_cycles: 1.0e6", with: "endurance_median_cycles: 1.0e4")
        let instrument = try Instrument.parse(yaml: short, path: "usb-4x64.yaml")
        #expect(instrument.realismWarnings.map(\.keyPath) == ["device.non_volatile_wear.endurance_median_cycles"])
        let missing = base.replacingOccurrences(of: "    disturb_scale_volts: 0.08\n", with: "")
        #expect(throws: InstrumentFileError.self) { try Instrument.parse(yaml: missing, path: "usb-4x64.yaml") }
    }
}
