import PropertyBased
import XbarWire

/// Random messages of every kind, for round-trip properties: floats across the whole range
/// (negative, subnormal, huge, infinite), strings with multi-byte characters, arrays from
/// empty to as large as a 64 KiB payload holds.
enum WireSamples {
    /// A generator of random requests of one opcode.
    static func requests(_ opcode: Opcode) -> Generator<Request, Shrink.None<Request>> {
        Generator { rng in request(opcode, &rng) }
    }

    /// A generator of random replies of one opcode.
    static func replies(_ opcode: Opcode) -> Generator<Reply, Shrink.None<Reply>> {
        Generator { rng in reply(opcode, &rng) }
    }

    static let smallFloats = Gen.float(in: -4...4)
    static let wideFloats = Gen.float(in: -1e6...1e6)

    static func float(_ rng: inout some SeededRandomNumberGenerator) -> Float {
        let sign: Float = Bool.random(using: &rng) ? -1 : 1
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:
            return smallFloats.run(using: &rng)
        case 1:
            // Subnormal: exponent bits zero.
            return sign * Float(bitPattern: UInt32.random(in: 1...0x007F_FFFF, using: &rng))
        case 2:
            return sign * Float.greatestFiniteMagnitude * Float.random(in: 0.5...1, using: &rng)
        case 3:
            return [Float.infinity, -Float.infinity, 0, -0.0, Float.leastNonzeroMagnitude, Float.ulpOfOne].randomElement(using: &rng)!
        case 4:
            // Any bit pattern but NaN, whose inequality with itself would defeat ==.
            var f: Float
            repeat { f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng)) } while f.isNaN
            return f
        case 5:
            // Cell currents and pulse widths: 1 pA to 10 mA, 10 ns to 10 ms.
            return sign * Float(sign: .plus, exponent: Int.random(in: -40 ... -7, using: &rng),
                                significand: Float.random(in: 1..<2, using: &rng))
        default:
            return wideFloats.run(using: &rng)
        }
    }

    static func floats(_ count: Int, _ rng: inout some SeededRandomNumberGenerator) -> [Float] {
        (0..<count).map { _ in float(&rng) }
    }

    /// 0, a few, or many elements (up to `max`), so that empty and large arrays both occur.
    static func count(max: Int, _ rng: inout some SeededRandomNumberGenerator) -> Int {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return 0
        case 1: return Int.random(in: 0...max, using: &rng)
        case 2: return max
        default: return Int.random(in: 1...min(max, 16), using: &rng)
        }
    }

    static func string(maxBytes: Int = FrameLayout.maxStringBytes, _ rng: inout some SeededRandomNumberGenerator) -> String {
        // ASCII, Latin-1, Greek, CJK and emoji: 1 to 4 UTF-8 bytes a character.
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0xFF, 0x391...0x3C9, 0x4E00...0x4FFF, 0x1F600...0x1F64F]
        let target = count(max: maxBytes, &rng)
        var s = ""
        var bytes = 0
        while true {
            let range = ranges.randomElement(using: &rng)!
            let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng))!
            let n = String(scalar).utf8.count
            if bytes + n > target { break }
            s.unicodeScalars.append(scalar)
            bytes += n
        }
        return s
    }

    static func cellIndex(_ rng: inout some SeededRandomNumberGenerator) -> CellIndex {
        CellIndex(row: UInt16.random(in: 0...UInt16.max, using: &rng), column: UInt16.random(in: 0...UInt16.max, using: &rng))
    }

    static func cellSet(_ rng: inout some SeededRandomNumberGenerator) -> CellSet {
        let tile = UInt8.random(in: 0...UInt8.max, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return .cell(tile: tile, cellIndex(&rng))
        case 1: return .row(tile: tile, row: UInt16.random(in: 0...UInt16.max, using: &rng))
        case 2: return .column(tile: tile, column: UInt16.random(in: 0...UInt16.max, using: &rng))
        case 3:
            let rows = UInt16(count(max: 256, &rng))
            let columns = UInt16(count(max: 256, &rng))
            var mask = CellMask(rows: rows, columns: columns)
            for r in 0..<Int(rows) { for c in 0..<Int(columns) where Bool.random(using: &rng) { mask[r, c] = true } }
            return .mask(tile: tile, mask)
        case 4: return .list(tile: tile, (0..<count(max: 16_000, &rng)).map { _ in cellIndex(&rng) })
        default: return .tile(tile)
        }
    }

    static func request(_ opcode: Opcode, _ rng: inout some SeededRandomNumberGenerator) -> Request {
        func u16() -> UInt16 { UInt16.random(in: 0...UInt16.max, using: &rng) }
        func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
        func u8() -> UInt8 { UInt8.random(in: 0...UInt8.max, using: &rng) }
        func f() -> Float { float(&rng) }
        switch opcode {
        case .identify: return .identify
        case .status: return .status
        case .abort: return .abort
        case .reset: return .reset
        case .read:
            return .read(ReadCells(cells: cellSet(&rng), readVolts: f(), averages: u16(),
                                   senseRange: Bool.random(using: &rng) ? u8() : nil))
        case .pulse:
            return .pulse(PulseCells(cells: cellSet(&rng), amplitudeVolts: f(), widthSeconds: f(),
                                     scheme: BiasScheme.allCases.randomElement(using: &rng)!))
        case .pulseBatch:
            var verify = Bool.random(using: &rng) ? VerifyRead(readVolts: f(), averages: u16()) : nil
            let pulses = (0..<count(max: 5_400, &rng)).map { _ in
                CellPulse(cell: cellIndex(&rng), amplitudeVolts: float(&rng), widthSeconds: float(&rng))
            }
            // Verified in sense ranges: runs of pulses (at most 100 groups, 502 bytes, within the payload).
            if let plain = verify, Bool.random(using: &rng) {
                var left = pulses.count
                var groups: [VerifyGroup] = []
                while left > 0 {
                    let n = groups.count == 99 ? left : Int.random(in: 1...left, using: &rng)
                    groups.append(VerifyGroup(pulseCount: UInt16(n), senseRange: Bool.random(using: &rng) ? u8() : nil, averages: u16()))
                    left -= n
                }
                // 255 names the read full scale: it decodes as nil.
                for k in groups.indices where groups[k].senseRange == VerifyGroup.readFullScaleIndex { groups[k].senseRange = nil }
                verify = VerifyRead(readVolts: plain.readVolts, groups: groups)
            }
            return .pulseBatch(PulseBatch(tile: u8(), scheme: BiasScheme.allCases.randomElement(using: &rng)!,
                                          verify: verify, pulses: pulses))
        case .mvm:
            let length = UInt16.random(in: 1...128, using: &rng)
            let vectors = count(max: 16_000 / Int(length), &rng)
            let encoding = InputEncoding.allCases.randomElement(using: &rng)!
            return .mvm(MatrixVectorProduct(tile: u8(), encoding: encoding,
                                            readVolts: encoding == .voltage ? 0 : f(), inputLength: length, inputs: floats(vectors * Int(length), &rng),
                                            senseRange: Bool.random(using: &rng) ? u8() : nil))
        case .readTrain:
            let pulse = Bool.random(using: &rng) ? TrainPulse(amplitudeVolts: f(), widthSeconds: f()) : nil
            return .readTrain(ReadTrain(cells: cellSet(&rng), pulse: pulse, readVolts: f(), readCount: u16(), intervalSeconds: f()))
        case .playLoad:
            let chunks = UInt16.random(in: 1...UInt16.max, using: &rng)
            let actions = (0..<count(max: 2_900, &rng)).map { _ in
                PlayAction(offsetNanoseconds: UInt64.random(in: 0...UInt64.max, using: &rng),
                           tile: UInt8.random(in: 0...UInt8.max, using: &rng), cell: cellIndex(&rng),
                           operation: Bool.random(using: &rng)
                               ? .pulse(amplitudeVolts: float(&rng), widthSeconds: float(&rng))
                               : .read(readVolts: float(&rng)))
            }
            return .playLoad(PlayLoad(programID: u16(), chunkIndex: UInt16.random(in: 0..<chunks, using: &rng),
                                      chunkCount: chunks, actions: actions))
        case .playStart:
            return .playStart(programID: u16())
        case .playFetch:
            return .playFetch(PlayFetch(programID: u16(), firstResult: u32(), maxResults: u16()))
        case .sweep:
            // Up to 300 vertices (1.2 kB) beside the largest cell list (64 kB) stays within a payload.
            return .sweep(VoltageSweep(mode: SweepMode.allCases.randomElement(using: &rng)!, stepWidthSeconds: f(), stepVolts: f(),
                                       complianceAmperes: f(), readVolts: f(), readAverages: u16(), stopAmperes: f(),
                                       cycles: u16(), verticesVolts: floats(count(max: 300, &rng), &rng), cells: cellSet(&rng)))
        default:
            preconditionFailure("\(opcode.name) is not a request")
        }
    }

    static func identity(_ rng: inout some SeededRandomNumberGenerator) -> BoardIdentity {
        func f() -> Float { float(&rng) }
        let tiles = (0..<count(max: 255, &rng)).map { _ in
            TileInfo(index: UInt8.random(in: 0...255, using: &rng), kind: TileKind.allCases.randomElement(using: &rng)!,
                     rows: UInt16.random(in: 0...UInt16.max, using: &rng), columns: UInt16.random(in: 0...UInt16.max, using: &rng))
        }
        let limits = ElectricalLimits(
            maxSetVolts: f(), maxResetVolts: f(), maxReadVolts: f(), maxMVMVolts: f(),
            minPulseWidthSeconds: f(), maxPulseWidthSeconds: f(), complianceAmperes: f(), maxPulseEnergyJoules: f(),
            maxReadAverages: UInt16.random(in: 0...UInt16.max, using: &rng),
            maxReadTrainLength: UInt16.random(in: 0...UInt16.max, using: &rng),
            maxProgramActions: UInt32.random(in: 0...UInt32.max, using: &rng))
        return BoardIdentity(
            protocolVersion: UInt8.random(in: 0...255, using: &rng),
            model: string(maxBytes: 64, &rng), serialNumber: string(maxBytes: 64, &rng),
            firmwareVersion: string(&rng),
            capabilities: Capabilities(rawValue: UInt32.random(in: 0...UInt32.max, using: &rng)),
            maxPayloadBytes: UInt32.random(in: 0...UInt32.max, using: &rng),
            replyCacheDepth: UInt16.random(in: 0...UInt16.max, using: &rng),
            adc: ADCInfo(bits: UInt8.random(in: 0...255, using: &rng), readFullScaleAmperes: f(), mvmFullScaleAmperes: f()),
            dac: DACInfo(bits: UInt8.random(in: 0...255, using: &rng), fullScaleVolts: f()),
            limits: limits, tiles: tiles,
            senseRanges: Bool.random(using: &rng) ? (0..<Int.random(in: 0...255, using: &rng)).map { _ in
                SenseRange(fullScaleAmperes: f(), noiseAmperes: f())
            } : nil)
    }

    static func reply(_ opcode: Opcode, _ rng: inout some SeededRandomNumberGenerator) -> Reply {
        func u16() -> UInt16 { UInt16.random(in: 0...UInt16.max, using: &rng) }
        func u32() -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &rng) }
        func u64() -> UInt64 { UInt64.random(in: 0...UInt64.max, using: &rng) }
        switch opcode {
        case .identity:
            return .identity(identity(&rng))
        case .statusReport:
            return .status(BoardStatus(state: BoardState.allCases.randomElement(using: &rng)!, boardTimeNanoseconds: u64(),
                                       pulsesApplied: u64(), programID: u16(), nextSequence: u16()))
        case .currents:
            // Flags travel with a ranged request's values (a byte per eight within the payload);
            // with no values there is nothing to flag.
            let ranged = Bool.random(using: &rng)
            let amperes = floats(count(max: ranged ? 14_000 : 16_000, &rng), &rng)
            let flags = ranged && !amperes.isEmpty ? amperes.map { _ in Bool.random(using: &rng) } : nil
            return .currents(Currents(boardTimeNanoseconds: u64(), amperes: amperes, saturated: flags))
        case .pulsed:
            // Flags travel with a batch verified in ranges, as with a ranged READ's currents.
            let ranged = Bool.random(using: &rng)
            let amperes = floats(count(max: ranged ? 14_000 : 16_000, &rng), &rng)
            let flags = ranged && !amperes.isEmpty ? amperes.map { _ in Bool.random(using: &rng) } : nil
            return .pulsed(PulseReceipt(boardTimeNanoseconds: u64(), appliedCount: u32(), complianceHits: u32(),
                                        verifyAmperes: amperes, verifySaturated: flags))
        case .readTrainData:
            let reads = count(max: 2_000, &rng)
            return .readTrain(ReadTrainData(timestampsNanoseconds: (0..<reads).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) },
                                            amperes: floats(count(max: 12_000, &rng), &rng)))
        case .playLoaded:
            return .playLoaded(programID: u16(), chunksReceived: u16())
        case .playStarted:
            return .playStarted(PlayStarted(programID: u16(), actionCount: u32(), resultCount: u32(),
                                            startNanoseconds: u64(), durationNanoseconds: u64()))
        case .playData:
            let results = (0..<count(max: 4_000, &rng)).map { _ in
                PlayResult(actionIndex: UInt32.random(in: 0...UInt32.max, using: &rng),
                           timestampNanoseconds: UInt64.random(in: 0...UInt64.max, using: &rng), amperes: float(&rng))
            }
            return .playData(PlayData(programID: u16(), firstResult: u32(), results: results, complete: Bool.random(using: &rng)))
        case .done:
            return .done
        case .sweepData:
            var budget = count(max: 3_000, &rng)
            var cells: [SweptCell] = []
            while budget > 0 {
                let n = Int.random(in: 0...budget, using: &rng)
                budget -= max(n, 1)
                cells.append(SweptCell(stopped: Bool.random(using: &rng), points: (0..<n).map { _ in
                    SweepPoint(boardTimeNanoseconds: u64(), volts: float(&rng), amperes: float(&rng), readAmperes: float(&rng))
                }))
            }
            return .sweep(SweepData(cells: cells))
        case .fault:
            return .fault(BoardFault(code: FaultCode.allCases.randomElement(using: &rng)!,
                                     limit: LimitID.allCases.randomElement(using: &rng)!,
                                     value: float(&rng), limitValue: float(&rng), message: string(&rng)))
        default:
            preconditionFailure("\(opcode.name) is not a reply")
        }
    }
}
