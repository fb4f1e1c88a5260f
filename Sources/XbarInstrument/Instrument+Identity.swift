import XbarWire

extension Instrument {
    /// The board protocol version boards of every instrument speak.
    public static let protocolVersion: UInt8 = 1
    /// Largest frame payload a board of an instrument accepts and sends, bytes.
    public static let maxPayloadBytes: UInt32 = 65_536
    /// How many recent replies a board keeps to answer retried requests.
    public static let replyCacheDepth: UInt16 = 32

    /// What a board of this type can do, following from its tiles and bias scheme: MVM on
    /// weight tiles, read trains and timed programs on state tiles, V/2 and V/3 schemes on
    /// passive arrays (or wherever the file makes one the default), pulse batches everywhere.
    public var capabilities: Capabilities {
        var c: Capabilities = [.pulseBatch]
        if !weightTiles.isEmpty { c.formUnion([.mvm, .mvmPulseWidth]) }
        if !stateTiles.isEmpty { c.formUnion([.readTrain, .play]) }
        if tiles.contains(where: { $0.kind == .nonVolatilePassive }) {
            c.formUnion([.halfVoltageScheme, .thirdVoltageScheme])
        }
        if defaultBiasScheme == .halfVoltage { c.insert(.halfVoltageScheme) }
        if defaultBiasScheme == .thirdVoltage { c.insert(.thirdVoltageScheme) }
        if !senseRanges.isEmpty { c.formUnion([.senseRanges, .rangedVerify]) }
        if !senseRanges.isEmpty, !stateTiles.isEmpty { c.insert(.rangedPlayReads) }
        return c
    }

    /// The IDENTIFY reply a board of this type gives: protocol version 1, the file's model,
    /// tiles, limits, ADC and DAC, ``capabilities``, 65536-byte payloads and a 32-reply cache;
    /// with `senseRanges`, the answer to an IDENTIFY that asks for them (the file's ranges).
    public func identity(serialNumber: String, firmwareVersion: String, senseRanges listed: Bool = false) -> BoardIdentity {
        BoardIdentity(protocolVersion: Self.protocolVersion, model: model, serialNumber: serialNumber,
                      firmwareVersion: firmwareVersion, capabilities: capabilities,
                      maxPayloadBytes: Self.maxPayloadBytes, replyCacheDepth: Self.replyCacheDepth,
                      adc: adc, dac: dac, limits: limits, tiles: tiles,
                      senseRanges: listed && !senseRanges.isEmpty ? senseRanges : nil)
    }

    /// How a board's IDENTIFY reply disagrees with this instrument file, one sentence per
    /// difference naming the file's key; empty when the board is what the file describes.
    ///
    /// Checked: protocol version, model, tiles (count, index, kind, rows, columns), every
    /// electrical limit, ADC and DAC, sense ranges when the board lists them, and capabilities
    /// the file's tiles need but the board lacks.
    /// Serial number, firmware version, payload size and reply cache depth may differ.
    public func mismatches(with identity: BoardIdentity) -> [String] {
        var found: [String] = []
        if identity.protocolVersion != Self.protocolVersion {
            found.append("protocol version: the board speaks \(identity.protocolVersion), XbarLab speaks \(Self.protocolVersion)")
        }
        if identity.model != model {
            found.append("model: the instrument file says \"\(model)\", the board reports \"\(identity.model)\"; select the instrument file for this board")
        }
        found += tileMismatches(identity.tiles)
        found += limitMismatches(identity.limits)
        let converters: [(String, String, String)] = [
            ("adc.bits", "\(adc.bits)", "\(identity.adc.bits)"),
            ("adc.read_full_scale_amperes", "\(adc.readFullScaleAmperes)", "\(identity.adc.readFullScaleAmperes)"),
            ("adc.mvm_full_scale_amperes", "\(adc.mvmFullScaleAmperes)", "\(identity.adc.mvmFullScaleAmperes)"),
            ("dac.bits", "\(dac.bits)", "\(identity.dac.bits)"),
            ("dac.full_scale_volts", "\(dac.fullScaleVolts)", "\(identity.dac.fullScaleVolts)"),
        ]
        for (key, file, board) in converters where file != board {
            found.append("\(key): the instrument file says \(file), the board reports \(board)")
        }
        if let boardRanges = identity.senseRanges, boardRanges != senseRanges {
            let text = { (r: [SenseRange]) in r.isEmpty ? "none" : r.map { "\($0.fullScaleAmperes) A (noise \($0.noiseAmperes) A)" }.joined(separator: ", ") }
            found.append("adc.sense_ranges: the instrument file says \(text(senseRanges)), the board reports \(text(boardRanges))")
        }
        // Every job runs on a board without sense ranges (the readout then converts at the ADC's
        // own full scale), so their absence is no mismatch; ranges a board lists must be the file's.
        let missing = capabilities.subtracting(identity.capabilities).subtracting([.senseRanges, .rangedPlayReads, .rangedVerify])
        if !missing.isEmpty {
            found.append("capabilities: the board lacks \(Self.names(of: missing).joined(separator: ", ")), which this instrument's tiles need")
        }
        return found
    }

    private func tileMismatches(_ boardTiles: [TileInfo]) -> [String] {
        var found: [String] = []
        if boardTiles.count != tiles.count {
            found.append("tiles: the instrument file has \(tiles.count) tiles, the board reports \(boardTiles.count)")
        }
        for (i, tile) in tiles.enumerated() {
            guard let board = boardTiles.first(where: { $0.index == tile.index }) else {
                found.append("tiles[\(i)]: the board has no tile \(tile.index)")
                continue
            }
            if board.kind != tile.kind {
                found.append("tiles[\(i)].kind: tile \(tile.index) is \(Self.name(of: tile.kind)) in the instrument file, \(Self.name(of: board.kind)) on the board")
            }
            if board.rows != tile.rows || board.columns != tile.columns {
                found.append("tiles[\(i)]: tile \(tile.index) is \(tile.rows)x\(tile.columns) in the instrument file, \(board.rows)x\(board.columns) on the board")
            }
        }
        for board in boardTiles where !tiles.contains(where: { $0.index == board.index }) {
            found.append("tiles: the board has tile \(board.index) (\(board.rows)x\(board.columns)), which the instrument file lacks")
        }
        return found
    }

    private func limitMismatches(_ board: ElectricalLimits) -> [String] {
        let pairs: [(LimitID, String, String)] = [
            (.setVolts, "\(limits.maxSetVolts)", "\(board.maxSetVolts)"),
            (.resetVolts, "\(limits.maxResetVolts)", "\(board.maxResetVolts)"),
            (.readVolts, "\(limits.maxReadVolts)", "\(board.maxReadVolts)"),
            (.mvmVolts, "\(limits.maxMVMVolts)", "\(board.maxMVMVolts)"),
            (.minPulseWidth, "\(limits.minPulseWidthSeconds)", "\(board.minPulseWidthSeconds)"),
            (.maxPulseWidth, "\(limits.maxPulseWidthSeconds)", "\(board.maxPulseWidthSeconds)"),
            (.complianceCurrent, "\(limits.complianceAmperes)", "\(board.complianceAmperes)"),
            (.pulseEnergy, "\(limits.maxPulseEnergyJoules)", "\(board.maxPulseEnergyJoules)"),
            (.readAverages, "\(limits.maxReadAverages)", "\(board.maxReadAverages)"),
            (.readTrainLength, "\(limits.maxReadTrainLength)", "\(board.maxReadTrainLength)"),
            (.programLength, "\(limits.maxProgramActions)", "\(board.maxProgramActions)"),
        ]
        return pairs.filter { $0.1 != $0.2 }.map {
            "\($0.0.instrumentKey): the instrument file says \($0.1), the board enforces \($0.2)"
        }
    }

    static func name(of kind: TileKind) -> String {
        InstrumentFileSchema.tileKinds.first { $0.1 == kind }?.0 ?? "\(kind)"
    }

    static func names(of capabilities: Capabilities) -> [String] {
        let all: [(Capabilities, String)] = [
            (.halfVoltageScheme, "half_voltage_scheme"), (.thirdVoltageScheme, "third_voltage_scheme"),
            (.mvm, "mvm"), (.mvmPulseWidth, "mvm_pulse_width"), (.readTrain, "read_train"),
            (.play, "play"), (.pulseBatch, "pulse_batch"), (.senseRanges, "sense_ranges"),
            (.rangedPlayReads, "ranged_play_reads"),
            (.rangedVerify, "ranged_verify"),
        ]
        return all.filter { capabilities.contains($0.0) }.map(\.1)
    }
}
