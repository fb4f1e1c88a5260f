import Testing
import XbarInstrument
import XbarWire

@Suite("IDENTIFY against the instrument file")
struct InstrumentIdentityTests {
    private func usb() throws -> Instrument { try Instrument.load(path: RepositoryFiles.shipped("usb-4x64")) }

    @Test("a board of this type reports the file's model, tiles, limits and converters, protocol 1")
    func identityCarriesTheFile() throws {
        let instrument = try usb()
        let identity = instrument.identity(serialNumber: "SN-0042", firmwareVersion: "fw 2.1")
        #expect(identity.protocolVersion == 1)
        #expect(identity.model == "xbar-usb-4x64")
        #expect(identity.serialNumber == "SN-0042" && identity.firmwareVersion == "fw 2.1")
        #expect(identity.tiles == instrument.tiles)
        #expect(identity.limits == instrument.limits)
        #expect(identity.adc == instrument.adc && identity.dac == instrument.dac)
        #expect(identity.maxPayloadBytes == 65_536 && identity.replyCacheDepth == 32)
        // 1T1R weight tiles and STM nodes, grounded bias: MVM, read trains, programs, batches;
        // sense ranges, which the STM nodes' program reads and the batches' verify reads take too.
        #expect(identity.capabilities == [.mvm, .mvmPulseWidth, .readTrain, .play, .pulseBatch, .senseRanges, .rangedPlayReads, .rangedVerify])
        // A plain IDENTIFY lists no ranges; asked for them, the file's five.
        #expect(identity.senseRanges == nil)
        let ranged = instrument.identity(serialNumber: "SN-0042", firmwareVersion: "fw 2.1", senseRanges: true)
        #expect(ranged.senseRanges?.map(\.fullScaleAmperes) == [1e-3, 250e-6, 64e-6, 16e-6, 4e-6])
        #expect(instrument.mismatches(with: ranged) == [])
        var other = ranged
        other.senseRanges?[2].noiseAmperes = 1e-6
        #expect(instrument.mismatches(with: other).contains { $0.hasPrefix("adc.sense_ranges:") })
        // A board without ranges still runs every job: no mismatch.
        var older = identity
        older.capabilities.remove(.senseRanges)
        older.capabilities.remove(.rangedPlayReads)
        older.capabilities.remove(.rangedVerify)
        #expect(instrument.mismatches(with: older) == [])
    }

    @Test("a passive board offers the V/2 and V/3 schemes", arguments: ["serial-32x32"])
    func passiveCapabilities(name: String) throws {
        let serial = try Instrument.load(path: RepositoryFiles.shipped(name))
        #expect(serial.capabilities.isSuperset(of: [.halfVoltageScheme, .thirdVoltageScheme]))
    }

    @Test("a board that reports what its file says has no mismatches", arguments: ["usb-4x64", "serial-32x32", "usb-4x64-multitau"])
    func roundTrip(name: String) throws {
        let instrument = try Instrument.load(path: RepositoryFiles.shipped(name))
        #expect(instrument.mismatches(with: instrument.identity(serialNumber: "A", firmwareVersion: "1")) == [])
    }

    @Test("a different tile geometry is reported with both shapes")
    func geometryChange() throws {
        let instrument = try usb()
        var identity = instrument.identity(serialNumber: "A", firmwareVersion: "1")
        identity.tiles[2].rows = 32
        #expect(instrument.mismatches(with: identity) == ["tiles[2]: tile 2 is 64x64 in the instrument file, 32x64 on the board"])

        identity = instrument.identity(serialNumber: "A", firmwareVersion: "1")
        identity.tiles.removeLast()
        let missing = instrument.mismatches(with: identity)
        #expect(missing == ["tiles: the instrument file has 5 tiles, the board reports 4", "tiles[4]: the board has no tile 4"])
    }

    @Test("a different model, protocol version and limit are each reported, the limit by its file key")
    func modelProtocolAndLimits() throws {
        let instrument = try usb()
        var identity = instrument.identity(serialNumber: "A", firmwareVersion: "1")
        identity.model = "xbar-serial-32x32"
        identity.protocolVersion = 2
        identity.limits.maxSetVolts = 2.5
        identity.capabilities.remove(.play)
        let found = instrument.mismatches(with: identity)
        #expect(found.count == 4)
        #expect(found.contains { $0.hasPrefix("protocol version: the board speaks 2") })
        #expect(found.contains { $0.hasPrefix("model: the instrument file says \"xbar-usb-4x64\", the board reports \"xbar-serial-32x32\"") })
        #expect(found.contains("limits.max_set_volts: the instrument file says 3.0, the board enforces 2.5"))
        #expect(found.contains { $0.hasPrefix("capabilities: the board lacks play") })
    }

    @Test("serial number, firmware and extra capabilities are not mismatches")
    func toleratedDifferences() throws {
        let instrument = try usb()
        var identity = instrument.identity(serialNumber: "A", firmwareVersion: "1")
        identity.serialNumber = "B"
        identity.firmwareVersion = "9.9"
        identity.capabilities.insert(.halfVoltageScheme)
        #expect(instrument.mismatches(with: identity) == [])
    }
}
