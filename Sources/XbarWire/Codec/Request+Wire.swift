extension Request {
    /// Appends this request's payload (see the protocol specification for each layout).
    public func encodePayload(into bytes: inout [UInt8]) {
        switch self {
        case .identify, .status, .abort, .reset:
            break
        case .sessionStatus:
            bytes.append(BoardStatus.sessionReportDetail)
        case .identifyWithSenseRanges:
            bytes.append(BoardIdentity.senseRangesDetail)
        case .read(let r):
            bytes.put(r.readVolts)
            bytes.put(r.averages)
            r.cells.encode(into: &bytes)
            if let range = r.senseRange { bytes.append(range) }
        case .pulse(let p):
            bytes.put(p.amplitudeVolts)
            bytes.put(p.widthSeconds)
            bytes.append(p.scheme.rawValue)
            p.cells.encode(into: &bytes)
        case .pulseBatch(let b):
            bytes.append(b.tile)
            bytes.append(b.scheme.rawValue)
            bytes.put(b.verify != nil)
            bytes.put(b.verify?.readVolts ?? 0)
            bytes.put(b.verify?.groups == nil ? b.verify?.averages ?? 0 : 0)
            bytes.putCount(b.pulses.count)
            for p in b.pulses {
                bytes.put(p.cell.row)
                bytes.put(p.cell.column)
                bytes.put(p.amplitudeVolts)
                bytes.put(p.widthSeconds)
            }
            if let groups = b.verify?.groups {
                bytes.putCount(groups.count)
                for g in groups {
                    bytes.put(g.pulseCount)
                    bytes.append(g.senseRange ?? VerifyGroup.readFullScaleIndex)
                    bytes.put(g.averages)
                }
            }
        case .mvm(let m):
            bytes.append(m.tile)
            bytes.append(m.encoding.rawValue)
            bytes.put(m.readVolts)
            bytes.put(m.inputLength)
            bytes.putCount(m.inputs.count)
            for x in m.inputs { bytes.put(x) }
            if let range = m.senseRange { bytes.append(range) }
        case .readTrain(let t):
            bytes.put(t.readVolts)
            bytes.put(t.readCount)
            bytes.put(t.intervalSeconds)
            bytes.put(t.pulse != nil)
            bytes.put(t.pulse?.amplitudeVolts ?? 0)
            bytes.put(t.pulse?.widthSeconds ?? 0)
            t.cells.encode(into: &bytes)
        case .playLoad(let l):
            bytes.put(l.programID)
            bytes.put(l.chunkIndex)
            bytes.put(l.chunkCount)
            bytes.putCount(l.actions.count)
            for a in l.actions {
                bytes.put(a.offsetNanoseconds)
                bytes.append(a.tile)
                bytes.put(a.cell.row)
                bytes.put(a.cell.column)
                switch a.operation {
                case let .pulse(v, w):
                    bytes.append(PlayOperationKind.pulse.rawValue)
                    bytes.put(v)
                    bytes.put(w)
                case let .read(v, nil):
                    bytes.append(PlayOperationKind.read.rawValue)
                    bytes.put(v)
                    bytes.put(Float(0))
                case let .read(v, range?):
                    bytes.append(PlayOperationKind.readInRange.rawValue)
                    bytes.put(v)
                    bytes.append(contentsOf: [range, 0, 0, 0])
                }
            }
        case .playStart(let id):
            bytes.put(id)
        case .playFetch(let f):
            bytes.put(f.programID)
            bytes.put(f.firstResult)
            bytes.put(f.maxResults)
        case .sweep(let s):
            bytes.append(s.mode.rawValue)
            bytes.put(s.stepWidthSeconds)
            bytes.put(s.stepVolts)
            bytes.put(s.complianceAmperes)
            bytes.put(s.readVolts)
            bytes.put(s.readAverages)
            bytes.put(s.stopAmperes)
            bytes.put(s.cycles)
            bytes.putCount(s.verticesVolts.count)
            for v in s.verticesVolts { bytes.put(v) }
            s.cells.encode(into: &bytes)
        }
    }

    /// Decodes a request from a checked frame.
    ///
    /// - Throws: `WireError`: `.unexpectedOpcode` for a reply opcode; `.truncated`,
    ///   `.badField` or `.trailingBytes` naming the field and its frame offset.
    public init(_ frame: Frame) throws(WireError) {
        var r = WireReader(frame)
        switch frame.header.opcode {
        case .identify:
            // An empty payload is the basic identity; one byte, 1, asks for the sense ranges too.
            guard r.remaining > 0 else { self = .identify; break }
            let at = r.position
            let detail = try r.u8("detail")
            guard detail == BoardIdentity.senseRangesDetail else {
                throw r.badField("detail", at: at, "IDENTIFY detail \(detail) is not defined; 1 asks for the sense ranges")
            }
            self = .identifyWithSenseRanges
        case .status:
            // An empty payload is the basic report; one byte, 1, asks for the session id too.
            guard r.remaining > 0 else { self = .status; break }
            let at = r.position
            let detail = try r.u8("detail")
            guard detail == BoardStatus.sessionReportDetail else {
                throw r.badField("detail", at: at, "STATUS detail \(detail) is not defined; 1 asks for the session id")
            }
            self = .sessionStatus
        case .abort: self = .abort
        case .reset: self = .reset
        case .read:
            let volts = try r.f32("readVolts")
            let averages = try r.u16("averages")
            let cells = try CellSet.decode(from: &r, "cells")
            // An optional trailing byte chooses a sense range.
            let range = r.remaining > 0 ? try r.u8("senseRange") : nil
            self = .read(ReadCells(cells: cells, readVolts: volts, averages: averages, senseRange: range))
        case .pulse:
            let volts = try r.f32("amplitudeVolts")
            let width = try r.f32("widthSeconds")
            let scheme = try r.enumeration(BiasScheme.self, "scheme")
            let cells = try CellSet.decode(from: &r, "cells")
            self = .pulse(PulseCells(cells: cells, amplitudeVolts: volts, widthSeconds: width, scheme: scheme))
        case .pulseBatch:
            let tile = try r.u8("tile")
            let scheme = try r.enumeration(BiasScheme.self, "scheme")
            let hasVerify = try r.bool("hasVerify")
            var verify: VerifyRead?
            var averagesAt = 0
            if hasVerify {
                let volts = try r.f32("verify.readVolts")
                averagesAt = r.position
                let averages = try r.u16("verify.averages")
                verify = VerifyRead(readVolts: volts, averages: averages)
            } else {
                try r.zero("verify", bytes: 6)
            }
            let n = try r.count("pulses.count", elementBytes: 12)
            var pulses: [CellPulse] = []
            pulses.reserveCapacity(n)
            for i in 0..<n {
                let row = try r.u16("pulses[\(i)].row")
                let column = try r.u16("pulses[\(i)].column")
                let volts = try r.f32("pulses[\(i)].amplitudeVolts")
                let width = try r.f32("pulses[\(i)].widthSeconds")
                pulses.append(CellPulse(cell: CellIndex(row: row, column: column), amplitudeVolts: volts, widthSeconds: width))
            }
            // Optional trailing verify groups: the verify reads in sense ranges.
            if let plain = verify, r.remaining > 0 {
                guard plain.averages == 0 else {
                    throw r.badField("verify.averages", at: averagesAt, "must be 0 when verify groups follow; each group names its averages")
                }
                let countAt = r.position
                let g = try r.count("verifyGroups.count", elementBytes: 5)
                var groups: [VerifyGroup] = []
                groups.reserveCapacity(g)
                var covered = 0
                for i in 0..<g {
                    let at = r.position
                    let count = try r.u16("verifyGroups[\(i)].pulses")
                    guard count > 0 else { throw r.badField("verifyGroups[\(i)].pulses", at: at, "a group holds at least one pulse") }
                    let index = try r.u8("verifyGroups[\(i)].senseRange")
                    let averages = try r.u16("verifyGroups[\(i)].averages")
                    covered += Int(count)
                    groups.append(VerifyGroup(pulseCount: count, senseRange: index == VerifyGroup.readFullScaleIndex ? nil : index,
                                              averages: averages))
                }
                guard covered == n else {
                    throw r.badField("verifyGroups.count", at: countAt, "the groups hold \(covered) pulses, the batch has \(n)")
                }
                verify = VerifyRead(readVolts: plain.readVolts, groups: groups)
            }
            self = .pulseBatch(PulseBatch(tile: tile, scheme: scheme, verify: verify, pulses: pulses))
        case .mvm:
            let tile = try r.u8("tile")
            let encoding = try r.enumeration(InputEncoding.self, "encoding")
            // Voltage inputs need no read amplitude: the field is reserved and must be zero.
            let volts: Float
            if encoding == .voltage {
                try r.zero("readVolts", bytes: 4)
                volts = 0
            } else {
                volts = try r.f32("readVolts")
            }
            let lengthAt = r.position
            let length = try r.u16("inputLength")
            guard length > 0 else { throw r.badField("inputLength", at: lengthAt, "must be at least 1") }
            let countAt = r.position
            let n = try r.count("inputs.count", elementBytes: 4)
            guard n % Int(length) == 0 else {
                throw r.badField("inputs.count", at: countAt,
                                 "\(n) inputs are not a whole number of vectors of \(length)")
            }
            var inputs: [Float] = []
            inputs.reserveCapacity(n)
            for i in 0..<n { inputs.append(try r.f32("inputs[\(i)]")) }
            let range = r.remaining > 0 ? try r.u8("senseRange") : nil
            self = .mvm(MatrixVectorProduct(tile: tile, encoding: encoding, readVolts: volts, inputLength: length, inputs: inputs,
                                            senseRange: range))
        case .readTrain:
            let volts = try r.f32("readVolts")
            let count = try r.u16("readCount")
            let interval = try r.f32("intervalSeconds")
            let hasPulse = try r.bool("hasPulse")
            var pulse: TrainPulse?
            if hasPulse {
                let amplitude = try r.f32("pulse.amplitudeVolts")
                let width = try r.f32("pulse.widthSeconds")
                pulse = TrainPulse(amplitudeVolts: amplitude, widthSeconds: width)
            } else {
                try r.zero("pulse", bytes: 8)
            }
            let cells = try CellSet.decode(from: &r, "cells")
            self = .readTrain(ReadTrain(cells: cells, pulse: pulse, readVolts: volts, readCount: count, intervalSeconds: interval))
        case .playLoad:
            let id = try r.u16("programID")
            let index = try r.u16("chunkIndex")
            let countAt = r.position
            let chunks = try r.u16("chunkCount")
            guard index < chunks else {
                throw r.badField("chunkCount", at: countAt, "chunk \(index) of \(chunks) chunks")
            }
            let n = try r.count("actions.count", elementBytes: PlayOperationKind.actionBytes)
            var actions: [PlayAction] = []
            actions.reserveCapacity(n)
            for i in 0..<n {
                let offset = try r.u64("actions[\(i)].offsetNanoseconds")
                let tile = try r.u8("actions[\(i)].tile")
                let row = try r.u16("actions[\(i)].row")
                let column = try r.u16("actions[\(i)].column")
                let kind = try r.enumeration(PlayOperationKind.self, "actions[\(i)].operation")
                let operation: PlayOperation
                switch kind {
                case .pulse:
                    let v = try r.f32("actions[\(i)].amplitudeVolts")
                    let w = try r.f32("actions[\(i)].widthSeconds")
                    operation = .pulse(amplitudeVolts: v, widthSeconds: w)
                case .read:
                    let v = try r.f32("actions[\(i)].readVolts")
                    try r.zero("actions[\(i)].reserved", bytes: 4)
                    operation = .read(readVolts: v)
                case .readInRange:
                    let v = try r.f32("actions[\(i)].readVolts")
                    let range = try r.u8("actions[\(i)].senseRange")
                    try r.zero("actions[\(i)].reserved", bytes: 3)
                    operation = .read(readVolts: v, senseRange: range)
                }
                actions.append(PlayAction(offsetNanoseconds: offset, tile: tile, cell: CellIndex(row: row, column: column), operation: operation))
            }
            self = .playLoad(PlayLoad(programID: id, chunkIndex: index, chunkCount: chunks, actions: actions))
        case .playStart:
            self = .playStart(programID: try r.u16("programID"))
        case .playFetch:
            let id = try r.u16("programID")
            let first = try r.u32("firstResult")
            let max = try r.u16("maxResults")
            self = .playFetch(PlayFetch(programID: id, firstResult: first, maxResults: max))
        case .sweep:
            let mode = try r.enumeration(SweepMode.self, "mode")
            let width = try r.f32("stepWidthSeconds")
            let step = try r.f32("stepVolts")
            let compliance = try r.f32("complianceAmperes")
            let readVolts = try r.f32("readVolts")
            let averages = try r.u16("readAverages")
            let stop = try r.f32("stopAmperes")
            let cycles = try r.u16("cycles")
            let n = try r.count("vertices.count", elementBytes: 4)
            var vertices: [Float] = []
            vertices.reserveCapacity(n)
            for i in 0..<n { vertices.append(try r.f32("vertices[\(i)]")) }
            let cells = try CellSet.decode(from: &r, "cells")
            self = .sweep(VoltageSweep(mode: mode, stepWidthSeconds: width, stepVolts: step, complianceAmperes: compliance,
                                       readVolts: readVolts, readAverages: averages, stopAmperes: stop, cycles: cycles,
                                       verticesVolts: vertices, cells: cells))
        case .identity, .statusReport, .currents, .pulsed, .readTrainData, .playLoaded, .playStarted, .playData, .done, .fault, .sweepData:
            let opcode = frame.header.opcode
            throw WireError(.unexpectedOpcode(opcode), field: "opcode", offset: FrameLayout.opcodeOffset,
                            sequence: frame.header.sequence, reason: "\(opcode.name) is a reply, not a request")
        }
        try r.finish()
    }
}

/// The operation byte of a PLAY_LOAD action.
enum PlayOperationKind: UInt8 {
    case pulse = 0
    case read = 1
    /// A read in a sense range: `a` the read voltage, then the range index and three zero bytes.
    case readInRange = 2

    /// offset u64, tile u8, row u16, column u16, operation u8, two f32.
    static let actionBytes = 22
}
