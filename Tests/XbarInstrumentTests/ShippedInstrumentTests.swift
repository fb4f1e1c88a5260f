import Foundation
import Testing
import XbarDevice
import XbarInstrument
import XbarWire

@Suite("shipped instrument files")
struct ShippedInstrumentTests {
    static let shippedNames = ["serial-32x32", "usb-4x64-multitau", "usb-4x64"]

    @Test("the instruments folder holds exactly the shipped files")
    func folderContents() {
        let catalog = InstrumentCatalog(directory: RepositoryFiles.instrumentsFolder.path)
        #expect(catalog.names() == Self.shippedNames)
    }

    @Test("every shipped file loads, validates and stays inside the realistic ranges", arguments: shippedNames)
    func loadsCleanly(name: String) throws {
        let instrument = try Instrument.load(path: RepositoryFiles.shipped(name))
        #expect(instrument.name == name)
        #expect(instrument.path == RepositoryFiles.shipped(name))
        #expect(instrument.realismWarnings == [])
    }

    @Test("usb-4x64 is a USB board with four 64x64 1T1R tiles and 256 grounded-bias STM nodes")
    func usbBoard() throws {
        let usb = try Instrument.load(path: RepositoryFiles.shipped("usb-4x64"))
        #expect(usb.transport == .usb(USBSettings(vendorID: 0x1209, productID: 0x58BA, interfaceNumber: 0,
                                                  outEndpoint: 0x01, inEndpoint: 0x81)))
        #expect(usb.weightTiles.map(\.index) == [0, 1, 2, 3])
        #expect(usb.weightTiles.allSatisfy { $0.kind == .nonVolatile1T1R && $0.rows == 64 && $0.columns == 64 })
        #expect(usb.stateTiles == [TileInfo(index: 4, kind: .shortTermMemory, rows: 4, columns: 64)])
        #expect(usb.stateTiles.map(\.cellCount).reduce(0, +) == 256)
        #expect(usb.adc.bits == 8 && usb.dac.bits == 8)
        #expect(usb.defaultBiasScheme == .grounded)
        #expect(usb.limits.maxSetVolts == 3.0 && usb.limits.maxResetVolts == 3.3)
        #expect(usb.limits.minPulseWidthSeconds == 50e-9 && usb.limits.maxPulseWidthSeconds == 10e-6)
        #expect(usb.limits.complianceAmperes == 200e-6)
        #expect(usb.defaultReadVolts == 0.2)
        #expect(usb.device.nonVolatile.gMaxSiemens == DistributedParameter(100e-6, spread: 0.1))
        #expect(usb.device.shortTermMemory.tauSeconds == DistributedParameter(20e-3, spread: 0.2))
    }

    @Test("serial-32x32 is an 8N1 serial board with one passive 32x32 tile under V/2 and 32 STM nodes")
    func serialBoard() throws {
        let serial = try Instrument.load(path: RepositoryFiles.shipped("serial-32x32"))
        #expect(serial.transport == .serial(SerialSettings(baudRate: 921_600, dataBits: 8, parity: .none, stopBits: 1,
                                                           flowControl: .none, usbVendorID: 0x0403, usbProductID: 0x6001)))
        #expect(serial.tiles == [TileInfo(index: 0, kind: .nonVolatilePassive, rows: 32, columns: 32),
                                 TileInfo(index: 1, kind: .shortTermMemory, rows: 1, columns: 32)])
        #expect(serial.defaultBiasScheme == .halfVoltage)
        // A reference SET pulse (threshold plus the overdrive scale) must leave the cells that
        // share its row or column below threshold, or programming one cell disturbs others.
        let nv = serial.device.nonVolatile
        let reference = nv.setThresholdVolts.mean + nv.overdriveScaleVolts
        #expect(reference * serial.defaultBiasScheme.halfSelectFraction < nv.setThresholdVolts.mean)
    }

    @Test("the canonical text of a shipped file parses back to the same instrument", arguments: shippedNames)
    func canonicalRoundTrip(name: String) throws {
        let original = try Instrument.load(path: RepositoryFiles.shipped(name))
        var reparsed = try Instrument.parse(yaml: original.canonicalYAML, path: "/elsewhere/\(name).yaml")
        #expect(reparsed.path == "/elsewhere/\(name).yaml")
        reparsed.path = original.path
        #expect(reparsed == original)
        #expect(reparsed.contentDigest == original.contentDigest)
    }

    @Test("the content digest ignores comments and layout but changes with any value")
    func digest() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
        let original = try Instrument.parse(yaml: text, path: "usb-4x64.yaml")
        // The digest covers the canonical text but the energy estimate's figures.
        var bare = original
        bare.energy = nil
        #expect(original.contentDigest == SHA256Hex.digest(Array(bare.canonicalYAML.utf8)))
        #expect(original.contentDigest.count == 64)
        #expect(original.contentDigest.allSatisfy { $0.isHexDigit && !$0.isUppercase })

        let recommented = try Instrument.parse(yaml: "# a new comment\n" + text.replacingOccurrences(of: "# pid.codes test range", with: ""),
                                               path: "usb-4x64.yaml")
        #expect(recommented.contentDigest == original.contentDigest)

        let edited = try Instrument.parse(yaml: text.replacingOccurrences(of: "read_noise_spread: 0.015\n    stuck",
                                                                         with: "read_noise_spread: 0.016\n    stuck"),
                                          path: "usb-4x64.yaml")
        #expect(edited.device.nonVolatile.readNoiseSpread == 0.016)
        #expect(edited.contentDigest != original.contentDigest)
    }

    @Test("numbers may be written with exponents, hexadecimal, or as spread mappings")
    func numberSpellings() throws {
        let text = try RepositoryFiles.text(RepositoryFiles.shipped("usb-4x64"))
            .replacingOccurrences(of: "compliance_amperes: 200.0e-6", with: "compliance_amperes: 2E-4")
            .replacingOccurrences(of: "interface: 0", with: "interface: 0x00")
            .replacingOccurrences(of: "width_exponent: 0.5\n    cycle", with: "width_exponent: 1\n    cycle")
            .replacingOccurrences(of: "set_threshold_volts: {mean: 1.0, spread: 0.1}", with: "set_threshold_volts: 1.1")
            .replacingOccurrences(of: "reset_threshold_volts: {mean: 1.2, spread: 0.1}", with: "reset_threshold_volts: {mean: 1.3}")
        let instrument = try Instrument.parse(yaml: text, path: "usb-4x64.yaml")
        #expect(instrument.limits.complianceAmperes == Float(2e-4))
        #expect(instrument.device.nonVolatile.widthExponent == 1)
        #expect(instrument.device.nonVolatile.setThresholdVolts == DistributedParameter(1.1, spread: 0))
        #expect(instrument.device.nonVolatile.resetThresholdVolts == DistributedParameter(1.3, spread: 0))
    }
}
