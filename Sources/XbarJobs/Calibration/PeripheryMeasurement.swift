import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// What the periphery part of a calibration measured on its tile.
public struct PeripheryMeasurement: Hashable, Sendable, Codable {
    /// What was measured with one pattern programmed.
    public struct Pattern: Hashable, Sendable, Codable {
        /// Per read voltage (the plan's order), every cell's read current, amperes, row-major.
        public var readAmperes: [[Double]]
        /// The read voltages of this pattern's reads when the measurement scaled the plan's down
        /// (see ``PeripheryMeasurement/readVolts(pattern:)``), volts; nil: the measurement's.
        public var readVolts: [Double]? = nil
        /// Probe vectors' row voltages, volts, vector after vector (whole DAC levels).
        public var probeVolts: [Double]
        /// Their column currents as the board reported them, amperes, vector after vector.
        public var probeAmperes: [Double]
    }

    public var tile: UInt8
    public var rows: Int
    public var columns: Int
    /// The plan's read voltages, volts, in the order of each pattern's `readAmperes` unless the
    /// pattern has its own.
    public var readVolts: [Double]
    /// In the plan's pattern order.
    public var patterns: [Pattern]

    /// What the tile holds after the measurement (the last pattern), as its reads show it (see
    /// ``readSiemens(pattern:)``), siemens, row-major.
    public var lastReadSiemens: [Double] { patterns.isEmpty ? [] : readSiemens(pattern: patterns.count - 1) }

    /// What the tile held under pattern `t`, as its reads show it: per cell the read current
    /// over the voltage, at the highest voltage whose reading is below 98 % of the largest
    /// reading of the tile at that voltage (so that no clipped reading is taken), siemens,
    /// row-major.
    public func readSiemens(pattern t: Int) -> [Double] {
        guard patterns.indices.contains(t), !readVolts.isEmpty else { return [] }
        let readVolts = readVolts(pattern: t)
        let reads = patterns[t].readAmperes
        let ceilings = reads.map { 0.98 * ($0.max() ?? 0) }
        return (0..<(rows * columns)).map { c in
            let k = readVolts.indices.first { reads[$0][c] < ceilings[$0] } ?? readVolts.count - 1
            return reads[k][c] / readVolts[k]
        }
    }
}

extension PeripheryMeasurement {
    /// The voltages pattern `t` was read at, volts, in the order of its `readAmperes`.
    public func readVolts(pattern t: Int) -> [Double] {
        patterns.indices.contains(t) ? patterns[t].readVolts ?? readVolts : readVolts
    }
}

extension CalibrationPlan.Periphery {
    /// For each pattern: programs it, reads every cell at each read voltage, runs the probes.
    ///
    /// Probes come in four kinds, in turn: dense positive, dense signed, sparse positive (a
    /// random tenth to half of the rows) and a positive block of consecutive rows; the largest
    /// amplitude keeps the largest column current of a trial product with every row driven
    /// within 80 % of the MVM converter's full scale.
    ///
    /// - Throws: ``BoardError`` from the board.
    public func measure(on board: any Board, instrument: Instrument, maxPayloadBytes: Int) throws -> PeripheryMeasurement {
        try measure(tile: tile, on: board, instrument: instrument, maxPayloadBytes: maxPayloadBytes)
    }

    /// The same measurement on each of ``columnTiles``, in their order.
    ///
    /// - Throws: ``BoardError`` from the board.
    public func measureColumnTiles(on board: any Board, instrument: Instrument, maxPayloadBytes: Int) throws -> [PeripheryMeasurement] {
        try columnTiles.map { try measure(tile: $0, on: board, instrument: instrument, maxPayloadBytes: maxPayloadBytes) }
    }

    private func measure(tile: UInt8, on board: any Board, instrument: Instrument, maxPayloadBytes: Int) throws -> PeripheryMeasurement {
        guard let info = instrument.tile(tile) else {
            throw BoardError.identityMismatch("instrument \(instrument.name) has no tile \(tile)")
        }
        let rows = Int(info.rows), columns = Int(info.columns)
        var measured: [PeripheryMeasurement.Pattern] = []
        for (index, pattern) in patterns.enumerated() {
            measured.append(try measure(pattern, index: index, tile: tile, on: board, instrument: instrument, rows: rows, columns: columns,
                                        maxPayloadBytes: maxPayloadBytes))
        }
        return PeripheryMeasurement(tile: tile, rows: rows, columns: columns, readVolts: readVoltages, patterns: measured)
    }

    private func measure(_ pattern: [Bool], index: Int, tile: UInt8, on board: any Board, instrument: Instrument, rows: Int, columns: Int,
                         maxPayloadBytes: Int) throws -> PeripheryMeasurement.Pattern {
        // Program: every cell to the bound the pattern names, strong pulses without verify.
        let perBatch = max(1, (maxPayloadBytes - 64) / 16)
        var pulses: [CellPulse] = []
        for _ in 0..<preparePulses {
            for (k, high) in pattern.enumerated() {
                let c = high ? prepareSet : prepareReset
                pulses.append(CellPulse(cell: CellIndex(row: UInt16(k / columns), column: UInt16(k % columns)),
                                        amplitudeVolts: Float(high ? c.amplitudeVolts : -c.amplitudeVolts),
                                        widthSeconds: Float(c.widthSeconds)))
            }
        }
        for start in stride(from: 0, to: pulses.count, by: perBatch) {
            _ = try board.pulseBatch(PulseBatch(tile: tile, scheme: scheme, verify: nil,
                                                pulses: Array(pulses[start..<min(start + perBatch, pulses.count)])))
        }
        // The plan's voltages, scaled down so that the largest reading at the highest sits at
        // 90 % of the read converter's full scale: on a passive tile a column's sneak current
        // can carry every read beyond full scale at the plan's voltages, leaving only the lowest
        // ones, whose converter step is several times a low cell's conductance. Scaled, every
        // voltage reads, and their several steps apart turn a cell's quantization error at
        // one into a different one at the next.
        let readFullScale = Double(instrument.adc.readFullScaleAmperes)
        let lowest = readVoltages.min()!, highest = readVoltages.max()!
        let scale = try board.read(.tile(tile), readVolts: lowest, averages: 1).amperes.map(Double.init).max() ?? 0
        let factor = scale > 0 && scale < 0.98 * readFullScale ? min(1, 0.9 * readFullScale / (scale * highest / lowest)) : 1
        let volts = readVoltages.map { $0 * factor }
        var reads: [[Double]] = []
        for v in volts {
            reads.append(try board.read(.tile(tile), readVolts: v, averages: readAverages).amperes.map(Double.init))
        }

        // Probe amplitude from the highest voltage's reads (an upper bound on the conductances).
        let fullScale = Double(instrument.adc.mvmFullScaleAmperes)
        let dacLevels = Double((1 << (Int(instrument.dac.bits) - 1)) - 1)
        let dacStep = Double(instrument.dac.fullScaleVolts) / dacLevels
        let largestVolts = min(Double(instrument.dac.fullScaleVolts), Double(instrument.limits.maxMVMVolts))
        var columnSums = [Double](repeating: 0, count: columns)
        for (k, amperes) in reads.last!.enumerated() { columnSums[k % columns] += amperes / volts.last! }
        let readBound = min(largestVolts, 0.8 * fullScale / max(columnSums.max() ?? 0, 1e-12))
        // On a passive tile every read carries its column's sneak current, so the reads' column
        // sums overstate the products several times over and probes at that amplitude would use
        // a fraction of the converter. One product with every row at the reads' bound (which
        // cannot saturate) measures the columns' conductance sums without sneak paths.
        let trialLevels = max(1, (readBound / dacStep).rounded(.down))
        let trial = try board.mvm(MatrixVectorProduct(tile: tile, encoding: .voltage, readVolts: 0, inputLength: UInt16(rows),
                                                      inputs: [Float](repeating: Float(trialLevels * dacStep), count: rows)))
        let trialSiemens = (trial.amperes.map { abs(Double($0)) }.max() ?? 0) / (trialLevels * dacStep)
        let amplitude = trialSiemens > 0 ? min(largestVolts, 0.8 * fullScale / trialSiemens) : readBound
        let levels = max(1, (amplitude / dacStep).rounded(.down))
        var random = Xoshiro256StarStar(seed: seed ^ 0x9E0B_E5 ^ UInt64(index) << 32)
        var probeVolts: [Double] = []
        for k in 0..<probeVectors {
            var u = [Double](repeating: 0, count: rows)
            switch k % 4 {
            case 0, 1:
                let signed = k % 4 == 1
                let common = signed ? 2 * random.nextOpenUnit() - 1 : random.nextOpenUnit()
                for i in 0..<rows {
                    let own = signed ? 2 * random.nextOpenUnit() - 1 : random.nextOpenUnit()
                    u[i] = 0.5 * common + 0.5 * own
                }
            case 2:
                let share = 0.1 + 0.4 * random.nextOpenUnit()
                for i in 0..<rows where random.nextOpenUnit() < share { u[i] = 0.3 + 0.7 * random.nextOpenUnit() }
            default:
                let a = Int(random.next() % UInt64(rows)), b = Int(random.next() % UInt64(rows))
                for i in min(a, b)...max(a, b) { u[i] = 0.5 + 0.5 * random.nextOpenUnit() }
            }
            probeVolts += u.map { ($0 * levels).rounded() * dacStep }
        }
        let perRequest = max(1, min((maxPayloadBytes - 64) / (4 * max(rows, columns)), 4096 / max(rows, 1)))
        var amperes: [Double] = []
        for start in stride(from: 0, to: probeVectors, by: perRequest) {
            let count = min(perRequest, probeVectors - start)
            let inputs = probeVolts[(start * rows)..<((start + count) * rows)].map { Float($0) }
            amperes += try board.mvm(MatrixVectorProduct(tile: tile, encoding: .voltage, readVolts: 0,
                                                         inputLength: UInt16(rows), inputs: inputs)).amperes.map(Double.init)
        }
        return PeripheryMeasurement.Pattern(readAmperes: reads, readVolts: factor < 1 ? volts : nil, probeVolts: probeVolts,
                                            probeAmperes: amperes)
    }
}
