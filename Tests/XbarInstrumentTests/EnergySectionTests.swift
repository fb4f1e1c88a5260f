import Foundation
import Testing
import XbarInstrument

@Suite("the energy: section of instrument files")
struct EnergySectionTests {
    @Test("every shipped file declares picojoule conversions and a sub-microsecond integration, and writes them back in its canonical form")
    func shipped() throws {
        for name in ["usb-4x64", "usb-4x64-multitau", "serial-32x32"] {
            let text = try RepositoryFiles.text(RepositoryFiles.shipped(name))
            let instrument = try Instrument.parse(yaml: text, path: "\(name).yaml")
            let energy = try #require(instrument.energy, "\(name)")
            #expect((0.1e-12...10e-12).contains(energy.dacJoulesPerConversion) && (0.1e-12...10e-12).contains(energy.adcJoulesPerConversion), "\(name)")
            #expect((10e-9...1e-6).contains(energy.mvmIntegrationSeconds), "\(name)")
            #expect(try Instrument.parse(yaml: instrument.canonicalYAML, path: "\(name).yaml").energy == energy)
        }
    }

    @Test("a conversion energy beyond a microjoule is refused naming the key; a file without the section estimates nothing")
    func refusedAndAbsent() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let wrong = text.replacingOccurrences(of: "adc_joules_per_conversion: 2.0e-12", with: "adc_joules_per_conversion: 2.0")
        #expect(wrong != text)
        do throws(InstrumentFileError) {
            _ = try Instrument.parse(yaml: wrong, path: "wrong.yaml")
            Issue.record("a 2 J conversion was accepted")
        } catch {
            #expect(error.description.contains("energy.adc_joules_per_conversion"), "\(error)")
            #expect(error.description.contains("at most 1e-06 J"), "\(error)")
        }
        let range = try #require(text.range(of: "\n# What an inference's energy is estimated from"))
        let without = try Instrument.parse(yaml: String(text[..<range.lowerBound]) + "\n", path: "usb-4x64.yaml")
        #expect(without.energy == nil)
    }
}

@Suite("the energy figures and the instrument digest")
struct EnergyDigestTests {
    @Test("revising the energy figures leaves the instrument's digest alone; any other value changes it")
    func digest() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let base = try Instrument.parse(yaml: text, path: "usb-4x64.yaml")
        let revised = try Instrument.parse(yaml: text.replacingOccurrences(of: "dac_joules_per_conversion: 1.0e-12", with: "dac_joules_per_conversion: 3.0e-12"), path: "usb-4x64.yaml")
        #expect(revised.energy != base.energy)
        #expect(revised.contentDigest == base.contentDigest)
        let other = try Instrument.parse(yaml: text.replacingOccurrences(of: "line_ohms: 20.0", with: "line_ohms: 25.0"), path: "usb-4x64.yaml")
        #expect(other.contentDigest != base.contentDigest)
    }
}
