import Foundation
import Testing
import XbarInstrument
@testable import XbarJobs

@Suite("one instrument digest for runs and calibrations")
struct InstrumentDigestTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples")

    @Test("a calibration names its instrument by the same digest a run records, the instrument's content digest")
    func sameDigest() throws {
        let instrument = try InstrumentCatalog.resolve("usb-4x64", instrumentsDirectory: SimulatedProgramming.instrumentsFolder)
        #expect(InstrumentReference(instrument).digest == instrument.contentDigest)
        #expect(instrument.contentDigest.count == 64)
    }

    @Test("the shipped calibration matches the shipped instrument: it loads without an instrument-changed warning")
    func shippedCalibrationMatches() throws {
        let instrument = try InstrumentCatalog.resolve("usb-4x64-multitau", instrumentsDirectory: SimulatedProgramming.instrumentsFolder)
        let path = Self.examples.appendingPathComponent("usb-4x64-multitau.calibration.json").path
        let file = try CalibrationFile.load(path: path)
        #expect(file.instrument.digest == instrument.contentDigest)
        #expect(try file.check(for: instrument, path: path).isEmpty)
    }
}
