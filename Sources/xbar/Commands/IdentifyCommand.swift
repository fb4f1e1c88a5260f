import ArgumentParser
import XbarBoard
import XbarStore
import XbarWire

struct IdentifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Ask a board who it is and check it against the instrument file.",
        discussion: """
            Sends IDENTIFY and prints the board's model, serial number, firmware, protocol \
            version, tiles, converters and electrical limits (SI units). The command fails \
            when the board's answer does not match the instrument (model, geometry, limits).

            Examples:
              xbar identify --board sim --instrument usb-4x64
              xbar identify --board serial:/dev/ttyUSB0 --instrument serial-32x32
              xbar identify --board usb:1209:58BA --instrument usb-4x64
            """)

    @OptionGroup var boardOptions: BoardOptions

    @OptionGroup var output: JSONOption

    func validate() throws {
        try boardOptions.simulation.requireInstrument()
    }

    func run() throws {
        output.activate()
        let (board, instrument) = try boardOptions.openBoard()
        let id = try board.identify()
        let problems = instrument.mismatches(with: id)
        print("board          \(board.backendDescription)")
        print("model          \(id.model)")
        print("serial number  \(id.serialNumber)")
        print("firmware       \(id.firmwareVersion)")
        print("protocol       \(id.protocolVersion)")
        print("max payload    \(id.maxPayloadBytes) bytes, reply cache \(id.replyCacheDepth) replies")
        let status = try board.sessionStatus(id)
        print("session        \(status.sessionID.map(BoardSessionRecord.text) ?? "(the board reports none)"), \(status.pulsesApplied) cell-pulses applied since power-up")
        for t in id.tiles {
            print("tile \(t.index)         \(t.rows)x\(t.columns) \(t.kind)")
        }
        print("ADC            \(id.adc.bits) bit, read full scale \(id.adc.readFullScaleAmperes) A, MVM full scale \(id.adc.mvmFullScaleAmperes) A")
        if let ranges = id.senseRanges {
            print("sense ranges   " + ranges.enumerated().map { "\($0.offset): \($0.element.fullScaleAmperes) A (noise \($0.element.noiseAmperes) A)" }.joined(separator: ", "))
        }
        print("DAC            \(id.dac.bits) bit, full scale \(id.dac.fullScaleVolts) V")
        let l = id.limits
        print("limits         SET <= \(l.maxSetVolts) V, RESET <= \(l.maxResetVolts) V, read <= \(l.maxReadVolts) V, width \(l.minPulseWidthSeconds)...\(l.maxPulseWidthSeconds) s, compliance \(l.complianceAmperes) A, energy <= \(l.maxPulseEnergyJoules) J")
        if JSONLines.isActive {
            let tiles: [[String: Any]] = id.tiles.map { t in
                ["index": Int(t.index), "kind": "\(t.kind)", "rows": Int(t.rows), "columns": Int(t.columns)]
            }
            let adc: [String: Any] = ["bits": Int(id.adc.bits), "readFullScaleAmperes": id.adc.readFullScaleAmperes,
                                      "mvmFullScaleAmperes": id.adc.mvmFullScaleAmperes]
            let dac: [String: Any] = ["bits": Int(id.dac.bits), "fullScaleVolts": id.dac.fullScaleVolts]
            var limits: [String: Any] = ["maxSetVolts": l.maxSetVolts, "maxResetVolts": l.maxResetVolts,
                                         "maxReadVolts": l.maxReadVolts, "maxMVMVolts": l.maxMVMVolts]
            limits["minPulseWidthSeconds"] = l.minPulseWidthSeconds
            limits["maxPulseWidthSeconds"] = l.maxPulseWidthSeconds
            limits["complianceAmperes"] = l.complianceAmperes
            limits["maxPulseEnergyJoules"] = l.maxPulseEnergyJoules
            var fields: [String: Any] = ["board": board.backendDescription, "model": id.model, "serialNumber": id.serialNumber,
                                         "firmware": id.firmwareVersion, "protocol": Int(id.protocolVersion)]
            fields["maxPayloadBytes"] = Int(id.maxPayloadBytes)
            fields["replyCacheDepth"] = Int(id.replyCacheDepth)
            fields["session"] = status.sessionID.map(BoardSessionRecord.text) as Any
            fields["pulsesApplied"] = Int(status.pulsesApplied)
            fields["tiles"] = tiles
            fields["adc"] = adc
            fields["dac"] = dac
            fields["limits"] = limits
            fields["senseRanges"] = (id.senseRanges ?? []).map { ["fullScaleAmperes": $0.fullScaleAmperes, "noiseAmperes": $0.noiseAmperes] }
            fields["instrument"] = instrument.name
            fields["matchesInstrument"] = problems.isEmpty
            fields["mismatches"] = problems
            JSONLines.emit("identity", fields)
        }
        if problems.isEmpty {
            print("instrument     matches \(instrument.name)")
        } else {
            throw ValidationError("the board does not match instrument \(instrument.name): " + problems.joined(separator: "; "))
        }
    }
}
