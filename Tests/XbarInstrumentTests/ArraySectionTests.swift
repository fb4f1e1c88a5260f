import Foundation
import Testing
import XbarDevice
import XbarInstrument

@Suite("the array: section of instrument files")
struct ArraySectionTests {
    static func shipped(_ name: String) throws -> String {
        try RepositoryFiles.text(RepositoryFiles.shipped(name))
    }

    /// The problems of a text that must be refused.
    static func rejection(_ yaml: String, path: String) -> InstrumentFileError {
        do throws(InstrumentFileError) {
            let instrument = try Instrument.parse(yaml: yaml, path: path)
            Issue.record("the text was accepted as \(instrument.name)")
            return InstrumentFileError(path: path, problems: [])
        } catch {
            return error
        }
    }

    /// The text up to the `array:` section: what files written before it existed look like.
    static func withoutArray(_ text: String) throws -> String {
        let range = try #require(text.range(of: "\n# The array's periphery"))
        return String(text[..<range.lowerBound]) + "\n"
    }

    @Test("the shipped files carry a realistic periphery: lines, column amplifiers and converters, and sneak currents on the passive board only")
    func shippedValues() throws {
        let usb = try Instrument.parse(yaml: try Self.shipped("usb-4x64"), path: "usb-4x64.yaml")
        #expect(usb.periphery.wireOhmsPerCell == 1 && usb.periphery.lineOhms == 20)
        #expect(usb.periphery.senseGainSpread == 0.015 && usb.periphery.senseOffsetSpread == 0.003)
        #expect(usb.periphery.adcBowLSB == DistributedParameter(1, spread: 0.3) && usb.periphery.adcCodeNoiseLSB == 0.25)
        #expect(usb.periphery.halfSelectCurrentFraction == 0)
        let serial = try Instrument.parse(yaml: try Self.shipped("serial-32x32"), path: "serial-32x32.yaml")
        #expect(serial.periphery.halfSelectCurrentFraction == 0.1)
        #expect(usb.realismWarnings.isEmpty && serial.realismWarnings.isEmpty)
    }

    @Test("a file without the section loads with an ideal periphery and keeps the digest it had")
    func absentMeansIdeal() throws {
        let older = try Instrument.parse(yaml: try Self.withoutArray(try Self.shipped("usb-4x64")), path: "usb-4x64.yaml")
        #expect(older.periphery == .ideal)
        #expect(!older.canonicalYAML.contains("array:"))
        let current = try Instrument.parse(yaml: try Self.shipped("usb-4x64"), path: "usb-4x64.yaml")
        #expect(current.canonicalYAML.contains("array:"))
        #expect(try Instrument.parse(yaml: current.canonicalYAML, path: "usb-4x64.yaml").periphery == current.periphery)
    }

    @Test("values out of range are refused naming the key: a negative resistance, a half-select fraction above a linear cell's, a converter error of a quarter of the range (15 LSB bow of spread 1 plus 3.9 LSB per code: 72 of 256 at three sigma)")
    func outOfRange() throws {
        let text = try Self.shipped("serial-32x32")
            .replacingOccurrences(of: "  wire_ohms_per_cell: 2.0", with: "  wire_ohms_per_cell: -2.0")
            .replacingOccurrences(of: "  half_select_current_fraction: 0.1", with: "  half_select_current_fraction: 0.7")
        let error = Self.rejection(text, path: "serial-32x32.yaml")
        #expect(error.problem(at: "array.wire_ohms_per_cell")?.message.contains("must be 0 or more") == true, "\(error)")
        #expect(error.problem(at: "array.half_select_current_fraction")?.message.contains("0.5 (a linear cell)") == true, "\(error)")
        let noisy = try Self.shipped("usb-4x64").replacingOccurrences(of: "  adc_inl_code_lsb: 0.25", with: "  adc_inl_code_lsb: 3.9")
            .replacingOccurrences(of: "adc_inl_bow_lsb: {mean: 1.0, spread: 0.3}", with: "adc_inl_bow_lsb: {mean: 15, spread: 1.0}")
        let converter = Self.rejection(noisy, path: "usb-4x64.yaml")
        #expect(converter.problem(at: "array.adc_inl_bow_lsb")?.message.contains("quarter of the 8-bit range") == true, "\(converter)")
    }

    @Test("a missing key of the section is reported as missing, with its unit")
    func missingKey() throws {
        let text = try Self.shipped("usb-4x64").replacingOccurrences(of: "  line_ohms: 20.0\n", with: "")
        let error = Self.rejection(text, path: "usb-4x64.yaml")
        #expect(error.problem(at: "array.line_ohms")?.message == "missing; add it (a number of ohms)", "\(error)")
    }
}
