extension Reply {
    /// Appends this reply's payload (see the protocol specification for each layout).
    public func encodePayload(into bytes: inout [UInt8]) {
        switch self {
        case .identity(let id):
            id.encode(into: &bytes)
        case .status(let s):
            bytes.append(s.state.rawValue)
            bytes.put(s.boardTimeNanoseconds)
            bytes.put(s.pulsesApplied)
            bytes.put(s.programID)
            bytes.put(s.nextSequence)
            if let session = s.sessionID { bytes.put(session) }
        case .currents(let c):
            bytes.put(c.boardTimeNanoseconds)
            bytes.putCount(c.amperes.count)
            for a in c.amperes { bytes.put(a) }
            if let flags = c.saturated { bytes.putBits(flags) }
        case .pulsed(let p):
            bytes.put(p.boardTimeNanoseconds)
            bytes.put(p.appliedCount)
            bytes.put(p.complianceHits)
            bytes.putCount(p.verifyAmperes.count)
            for a in p.verifyAmperes { bytes.put(a) }
            if let flags = p.verifySaturated { bytes.putBits(flags) }
        case .readTrain(let t):
            bytes.putCount(t.timestampsNanoseconds.count)
            bytes.putCount(t.amperes.count)
            for t in t.timestampsNanoseconds { bytes.put(t) }
            for a in t.amperes { bytes.put(a) }
        case let .playLoaded(id, received):
            bytes.put(id)
            bytes.put(received)
        case .playStarted(let s):
            bytes.put(s.programID)
            bytes.put(s.actionCount)
            bytes.put(s.resultCount)
            bytes.put(s.startNanoseconds)
            bytes.put(s.durationNanoseconds)
        case .playData(let d):
            bytes.put(d.programID)
            bytes.put(d.firstResult)
            bytes.put(d.complete)
            bytes.putCount(d.results.count)
            for r in d.results {
                bytes.put(r.actionIndex)
                bytes.put(r.timestampNanoseconds)
                bytes.put(r.amperes)
            }
        case .done:
            break
        case .sweep(let d):
            bytes.putCount(d.cells.count)
            bytes.putCount(d.cells.reduce(0) { $0 + $1.points.count })
            for c in d.cells {
                bytes.putCount(c.points.count)
                bytes.put(c.stopped)
            }
            for c in d.cells {
                for p in c.points {
                    bytes.put(p.boardTimeNanoseconds)
                    bytes.put(p.volts)
                    bytes.put(p.amperes)
                    bytes.put(p.readAmperes)
                }
            }
        case .fault(let f):
            bytes.append(f.code.rawValue)
            bytes.append(f.limit.rawValue)
            bytes.put(f.value)
            bytes.put(f.limitValue)
            bytes.put(f.message)
        }
    }

    /// Decodes a reply from a checked frame.
    ///
    /// - Throws: `WireError`: `.unexpectedOpcode` for a request opcode; `.truncated`,
    ///   `.badField` or `.trailingBytes` naming the field and its frame offset.
    public init(_ frame: Frame) throws(WireError) {
        var r = WireReader(frame)
        switch frame.header.opcode {
        case .identity:
            self = .identity(try BoardIdentity.decode(from: &r))
        case .statusReport:
            let state = try r.enumeration(BoardState.self, "state")
            let time = try r.u64("boardTimeNanoseconds")
            let pulses = try r.u64("pulsesApplied")
            let program = try r.u16("programID")
            let next = try r.u16("nextSequence")
            // Present only in the answer to a STATUS that asked for it.
            let session = r.remaining > 0 ? try r.u64("sessionID") : nil
            self = .status(BoardStatus(state: state, boardTimeNanoseconds: time, pulsesApplied: pulses,
                                       programID: program, nextSequence: next, sessionID: session))
        case .currents:
            let time = try r.u64("boardTimeNanoseconds")
            let n = try r.count("amperes.count", elementBytes: 4)
            var amperes: [Float] = []
            amperes.reserveCapacity(n)
            for i in 0..<n { amperes.append(try r.f32("amperes[\(i)]")) }
            // Present only in the answer to a request that chose a sense range.
            let saturated = r.remaining > 0 ? try r.bits(n, "saturated") : nil
            self = .currents(Currents(boardTimeNanoseconds: time, amperes: amperes, saturated: saturated))
        case .pulsed:
            let time = try r.u64("boardTimeNanoseconds")
            let applied = try r.u32("appliedCount")
            let hits = try r.u32("complianceHits")
            let n = try r.count("verifyAmperes.count", elementBytes: 4)
            var amperes: [Float] = []
            amperes.reserveCapacity(n)
            for i in 0..<n { amperes.append(try r.f32("verifyAmperes[\(i)]")) }
            // Present only in the answer to a batch verified in sense ranges.
            let saturated = r.remaining > 0 ? try r.bits(n, "verifySaturated") : nil
            self = .pulsed(PulseReceipt(boardTimeNanoseconds: time, appliedCount: applied, complianceHits: hits, verifyAmperes: amperes,
                                        verifySaturated: saturated))
        case .readTrainData:
            let reads = try r.count("timestamps.count", elementBytes: 8)
            let values = try r.count("amperes.count", elementBytes: 4)
            guard reads * 8 + values * 4 <= r.remaining else {
                throw r.error(.truncated, "amperes", at: r.position,
                              "\(reads) timestamps and \(values) currents need \(reads * 8 + values * 4) bytes, the payload has \(r.remaining) left")
            }
            var timestamps: [UInt64] = []
            timestamps.reserveCapacity(reads)
            for i in 0..<reads { timestamps.append(try r.u64("timestamps[\(i)]")) }
            var amperes: [Float] = []
            amperes.reserveCapacity(values)
            for i in 0..<values { amperes.append(try r.f32("amperes[\(i)]")) }
            self = .readTrain(ReadTrainData(timestampsNanoseconds: timestamps, amperes: amperes))
        case .playLoaded:
            let id = try r.u16("programID")
            let received = try r.u16("chunksReceived")
            self = .playLoaded(programID: id, chunksReceived: received)
        case .playStarted:
            let id = try r.u16("programID")
            let actions = try r.u32("actionCount")
            let results = try r.u32("resultCount")
            let start = try r.u64("startNanoseconds")
            let duration = try r.u64("durationNanoseconds")
            self = .playStarted(PlayStarted(programID: id, actionCount: actions, resultCount: results,
                                            startNanoseconds: start, durationNanoseconds: duration))
        case .playData:
            let id = try r.u16("programID")
            let first = try r.u32("firstResult")
            let complete = try r.bool("complete")
            let n = try r.count("results.count", elementBytes: 16)
            var results: [PlayResult] = []
            results.reserveCapacity(n)
            for i in 0..<n {
                let index = try r.u32("results[\(i)].actionIndex")
                let time = try r.u64("results[\(i)].timestampNanoseconds")
                let amperes = try r.f32("results[\(i)].amperes")
                results.append(PlayResult(actionIndex: index, timestampNanoseconds: time, amperes: amperes))
            }
            self = .playData(PlayData(programID: id, firstResult: first, results: results, complete: complete))
        case .done:
            self = .done
        case .fault:
            let code = try r.enumeration(FaultCode.self, "code")
            let limit = try r.enumeration(LimitID.self, "limit")
            let value = try r.f32("value")
            let limitValue = try r.f32("limitValue")
            let message = try r.string("message")
            self = .fault(BoardFault(code: code, limit: limit, value: value, limitValue: limitValue, message: message))
        case .sweepData:
            let cellCount = try r.count("cells.count", elementBytes: 3)
            let pointsAt = r.position
            let pointCount = try r.count("points.count", elementBytes: VoltageSweep.pointBytes)
            var heads: [(count: Int, stopped: Bool)] = []
            heads.reserveCapacity(cellCount)
            var total = 0
            for i in 0..<cellCount {
                let n = Int(try r.u16("cells[\(i)].points"))
                heads.append((n, try r.bool("cells[\(i)].stopped")))
                total += n
            }
            guard total == pointCount else {
                throw r.badField("points.count", at: pointsAt, "\(pointCount) points, but the cells list \(total)")
            }
            var cells: [SweptCell] = []
            cells.reserveCapacity(cellCount)
            for (i, head) in heads.enumerated() {
                var points: [SweepPoint] = []
                points.reserveCapacity(head.count)
                for k in 0..<head.count {
                    points.append(SweepPoint(boardTimeNanoseconds: try r.u64("cells[\(i)].points[\(k)].boardTimeNanoseconds"),
                                             volts: try r.f32("cells[\(i)].points[\(k)].volts"),
                                             amperes: try r.f32("cells[\(i)].points[\(k)].amperes"),
                                             readAmperes: try r.f32("cells[\(i)].points[\(k)].readAmperes")))
                }
                cells.append(SweptCell(stopped: head.stopped, points: points))
            }
            self = .sweep(SweepData(cells: cells))
        case .identify, .status, .read, .pulse, .pulseBatch, .mvm, .readTrain, .playLoad, .playStart, .playFetch, .abort, .reset, .sweep:
            let opcode = frame.header.opcode
            throw WireError(.unexpectedOpcode(opcode), field: "opcode", offset: FrameLayout.opcodeOffset,
                            sequence: frame.header.sequence, reason: "\(opcode.name) is a request, not a reply")
        }
        try r.finish()
    }
}

extension BoardIdentity {
    func encode(into bytes: inout [UInt8]) {
        bytes.append(protocolVersion)
        bytes.put(model)
        bytes.put(serialNumber)
        bytes.put(firmwareVersion)
        bytes.put(capabilities.rawValue)
        bytes.put(maxPayloadBytes)
        bytes.put(replyCacheDepth)
        bytes.append(adc.bits)
        bytes.put(adc.readFullScaleAmperes)
        bytes.put(adc.mvmFullScaleAmperes)
        bytes.append(dac.bits)
        bytes.put(dac.fullScaleVolts)
        bytes.put(limits.maxSetVolts)
        bytes.put(limits.maxResetVolts)
        bytes.put(limits.maxReadVolts)
        bytes.put(limits.maxMVMVolts)
        bytes.put(limits.minPulseWidthSeconds)
        bytes.put(limits.maxPulseWidthSeconds)
        bytes.put(limits.complianceAmperes)
        bytes.put(limits.maxPulseEnergyJoules)
        bytes.put(limits.maxReadAverages)
        bytes.put(limits.maxReadTrainLength)
        bytes.put(limits.maxProgramActions)
        bytes.putCount(tiles.count)
        for t in tiles {
            bytes.append(t.index)
            bytes.append(t.kind.rawValue)
            bytes.put(t.rows)
            bytes.put(t.columns)
        }
        if let ranges = senseRanges {
            bytes.putCount(ranges.count)
            for range in ranges {
                bytes.put(range.fullScaleAmperes)
                bytes.put(range.noiseAmperes)
            }
        }
    }

    static func decode(from r: inout WireReader) throws(WireError) -> BoardIdentity {
        let version = try r.u8("protocolVersion")
        let model = try r.string("model")
        let serial = try r.string("serialNumber")
        let firmware = try r.string("firmwareVersion")
        let capabilities = Capabilities(rawValue: try r.u32("capabilities"))
        let maxPayload = try r.u32("maxPayloadBytes")
        let depth = try r.u16("replyCacheDepth")
        let adc = ADCInfo(bits: try r.u8("adc.bits"),
                          readFullScaleAmperes: try r.f32("adc.readFullScaleAmperes"),
                          mvmFullScaleAmperes: try r.f32("adc.mvmFullScaleAmperes"))
        let dac = DACInfo(bits: try r.u8("dac.bits"), fullScaleVolts: try r.f32("dac.fullScaleVolts"))
        let limits = ElectricalLimits(
            maxSetVolts: try r.f32("limits.maxSetVolts"),
            maxResetVolts: try r.f32("limits.maxResetVolts"),
            maxReadVolts: try r.f32("limits.maxReadVolts"),
            maxMVMVolts: try r.f32("limits.maxMVMVolts"),
            minPulseWidthSeconds: try r.f32("limits.minPulseWidthSeconds"),
            maxPulseWidthSeconds: try r.f32("limits.maxPulseWidthSeconds"),
            complianceAmperes: try r.f32("limits.complianceAmperes"),
            maxPulseEnergyJoules: try r.f32("limits.maxPulseEnergyJoules"),
            maxReadAverages: try r.u16("limits.maxReadAverages"),
            maxReadTrainLength: try r.u16("limits.maxReadTrainLength"),
            maxProgramActions: try r.u32("limits.maxProgramActions"))
        let n = try r.count("tiles.count", elementBytes: 6)
        var tiles: [TileInfo] = []
        tiles.reserveCapacity(n)
        for i in 0..<n {
            let index = try r.u8("tiles[\(i)].index")
            let kind = try r.enumeration(TileKind.self, "tiles[\(i)].kind")
            let rows = try r.u16("tiles[\(i)].rows")
            let columns = try r.u16("tiles[\(i)].columns")
            tiles.append(TileInfo(index: index, kind: kind, rows: rows, columns: columns))
        }
        // Present only in the answer to an IDENTIFY that asked for them.
        var ranges: [SenseRange]?
        if r.remaining > 0 {
            let k = try r.count("senseRanges.count", elementBytes: 8)
            ranges = []
            for i in 0..<k {
                ranges!.append(SenseRange(fullScaleAmperes: try r.f32("senseRanges[\(i)].fullScaleAmperes"),
                                          noiseAmperes: try r.f32("senseRanges[\(i)].noiseAmperes")))
            }
        }
        return BoardIdentity(protocolVersion: version, model: model, serialNumber: serial, firmwareVersion: firmware,
                             capabilities: capabilities, maxPayloadBytes: maxPayload, replyCacheDepth: depth,
                             adc: adc, dac: dac, limits: limits, tiles: tiles, senseRanges: ranges)
    }
}
