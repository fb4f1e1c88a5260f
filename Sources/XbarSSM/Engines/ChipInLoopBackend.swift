import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// Matrix products on a board's programmed weight tiles.
///
/// Each product is a batch of MVM requests (as many vectors per request as the board's payload
/// allows) driving only the rows of the matrix's slab, 0 V elsewhere. Inputs become row
/// voltages through the DAC's range: inputs of a quantised activation of range `r` map `r` to
/// the DAC's full scale, so every quantiser level is a DAC level; float inputs are scaled per
/// vector so their largest magnitude reaches full scale. Column-pair currents come back through
/// the ADC and are turned into weight products with the map's scale.
///
/// The ADC's step (1/127 of a full scale meant for whole columns) is comparable to the
/// product a 32-row slab produces, so one conversion loses most of a product's resolution.
/// With ``ditherPairs`` `P > 0` each vector is multiplied `2P` times, as `x + d` and `x - d`
/// for `P` random dither vectors `d` (each entry up to ``ditherFraction`` of full scale, the
/// signal scaled down by as much to keep within it): the analog sums of each pair average to
/// the product exactly, while their conversion errors, decorrelated by the dither, average
/// down. It costs `2P` vectors per product.
///
/// States of the event SSM are updated digitally here, with the model's decay constants:
/// the instrument's STM nodes decay with their own time constant (one population, 20 ms
/// ± 20 % on `usb-4x64`), which cannot realise the per-group constants a model learned
/// (3 ms to 80 ms), and their increments saturate towards a ceiling. Holding states on STM
/// nodes therefore needs nodes calibrated per group; see ``ChipInLoopEngine``.
public struct ChipInLoopBackend: ComputeBackend {
    public let board: any Board
    public let model: SSMModel
    public let map: WeightMap
    /// Row voltage that represents a full-scale input, volts.
    public let inputFullScaleVolts: Double
    /// Vectors per MVM request.
    public let vectorsPerRequest: Int
    let ditherVolts: Double
    /// Whether an S4D's decay `A x` is multiplied on the chip (its placement exists).
    public let multipliesDecayOnChip: Bool

    /// Antithetic dither pairs per product (0: one plain conversion).
    public let ditherPairs: Int
    /// Largest dither per row, as a fraction of full scale.
    public let ditherFraction: Double
    var dither: Xoshiro256StarStar
    /// Pairs whose programming missed, corrected on the host.
    public let defects: PairDefects

    /// MVM requests sent so far.
    public private(set) var requestCount = 0
    /// Vectors multiplied so far.
    public private(set) var vectorCount = 0
    /// Whether to compare every product with the exact one and record converter use (costs
    /// an exact product per vector on the host).
    public var recordsStatistics = false
    /// What ``recordsStatistics`` gathered, by matrix name.
    public private(set) var statistics: [String: ProductStatistics] = [:]
    let adcFullScaleAmperes: Double
    let adcStepAmperes: Double
    let dacFullScaleVolts: Double

    public var backendDescription: String { board.backendDescription }

    /// - Parameters:
    ///   - maxPayloadBytes: the board's largest frame payload (from IDENTIFY).
    ///   - decayOnChip: multiply an S4D's diagonal decay on its tile (when placed) instead of digitally.
    public init(board: any Board, model: SSMModel, map: WeightMap, instrument: Instrument,
                maxPayloadBytes: Int, decayOnChip: Bool = true, ditherPairs: Int = 0,
                ditherFraction: Double = 0.25, seed: UInt64 = 1, defects: PairDefects = PairDefects()) {
        self.defects = defects
        self.board = board
        self.model = model
        self.map = map
        // Just inside the DAC's full scale and the MVM voltage limit, so that rounding in single
        // precision never asks for more than the board allows.
        let fullScale = Double(min(instrument.dac.fullScaleVolts, instrument.limits.maxMVMVolts)) * (1 - 1e-6)
        self.ditherPairs = max(0, ditherPairs)
        self.ditherFraction = self.ditherPairs > 0 ? ditherFraction : 0
        ditherVolts = fullScale * self.ditherFraction
        inputFullScaleVolts = fullScale - ditherVolts
        dither = Xoshiro256StarStar(seed: seed)
        adcFullScaleAmperes = Double(instrument.adc.mvmFullScaleAmperes)
        adcStepAmperes = adcFullScaleAmperes / Double((1 << (Int(instrument.adc.bits) - 1)) - 1)
        dacFullScaleVolts = Double(instrument.dac.fullScaleVolts)
        let rows = map.tiles.map { Int($0.tile.rows) }.max() ?? 64
        let columns = map.tiles.map { Int($0.tile.columns) }.max() ?? 64
        vectorsPerRequest = max(1, min((maxPayloadBytes - 32) / (4 * rows), (maxPayloadBytes - 16) / (4 * columns)))
        multipliesDecayOnChip = decayOnChip && model.placements.contains { $0.matrix.hasSuffix(".A") }
    }

    public mutating func products(of matrix: String, inputs: [[Double]], inputRange: Double?) throws -> [[Double]] {
        guard let k = map.siemensPerUnitWeight[matrix] else {
            preconditionFailure("\(matrix) has no placement; the model file's validation guarantees one")
        }
        var out: [[Double]] = []
        var stats = ProductStatistics()
        var signalScales = [Double](repeating: 0, count: inputs.count)
        for p in map.placements where p.matrix == matrix {
            guard let tile = map.tiles.first(where: { Int($0.tile.index) == p.tile })?.tile else { continue }
            let rows = Int(tile.rows), columns = Int(tile.columns)
            // Volts per unit input, per vector.
            let scales = inputs.map { x -> Double in
                if let r = inputRange { return inputFullScaleVolts / r }
                var m = 0.0
                for i in p.inputs { m = max(m, abs(x[i])) }
                return m > 0 ? inputFullScaleVolts / m : 0
            }
            if out.isEmpty { out = [[Double]](repeating: [Double](repeating: 0, count: p.outputs), count: inputs.count) }
            let copies = max(1, 2 * ditherPairs)
            let perRequest = max(1, vectorsPerRequest / copies)
            var start = 0
            while start < inputs.count {
                let end = min(start + perRequest, inputs.count)
                var volts = [Float](repeating: 0, count: (end - start) * copies * rows)
                // Dither drives the tile's other rows when the slab leaves some (their cells add a
                // current that each pair cancels exactly, and the signal keeps the full scale);
                // otherwise it shares the slab's rows.
                let ditherRows = (0..<rows).filter { !p.physicalRows.contains($0) }
                let inSlab = ditherRows.isEmpty
                let signalScale = inSlab ? 1.0 : inputFullScaleVolts / (inputFullScaleVolts + ditherVolts)
                for v in start..<end {
                    for pair in 0..<max(1, ditherPairs) {
                        let plus = ((v - start) * copies + 2 * pair) * rows
                        for i in 0..<p.rows {
                            let signal = inputs[v][p.inputOffset + i] * scales[v] / signalScale
                            if ditherPairs == 0 {
                                volts[plus + p.rowOffset + i] = Float(signal)
                            } else if inSlab {
                                let d = ditherVolts * (2 * dither.nextOpenUnit() - 1)
                                volts[plus + p.rowOffset + i] = Float(signal + d)
                                volts[plus + rows + p.rowOffset + i] = Float(signal - d)
                            } else {
                                volts[plus + p.rowOffset + i] = Float(signal)
                                volts[plus + rows + p.rowOffset + i] = Float(signal)
                            }
                        }
                        if ditherPairs > 0 && !inSlab {
                            let full = inputFullScaleVolts + ditherVolts
                            for r in ditherRows {
                                let d = full * (2 * dither.nextOpenUnit() - 1)
                                volts[plus + r] = Float(d)
                                volts[plus + rows + r] = Float(-d)
                            }
                        }
                    }
                }
                let currents = try board.mvm(MatrixVectorProduct(tile: tile.index, encoding: .voltage, readVolts: 0,
                                                                 inputLength: UInt16(rows), inputs: volts)).amperes
                requestCount += 1
                vectorCount += (end - start) * copies
                if recordsStatistics {
                    for (n, a) in currents.enumerated() where n % columns >= 2 * p.colPairOffset && n % columns < 2 * (p.colPairOffset + p.outputs) {
                        let steps = abs(Double(a)) / adcStepAmperes
                        stats.conversions += 1
                        if abs(Double(a)) >= adcFullScaleAmperes * (1 - 1e-6) { stats.saturatedConversions += 1 }
                        stats.currentSquaresInSteps += steps * steps
                        stats.largestCurrentSteps = max(stats.largestCurrentSteps, steps)
                    }
                    for v in start..<end {
                        signalScales[v] = scales[v] / signalScale
                        for i in 0..<p.rows where inputs[v][p.inputOffset + i] != 0 {
                            let f = abs(inputs[v][p.inputOffset + i] * scales[v] / signalScale) / dacFullScaleVolts
                            stats.drivenRows += 1
                            stats.inputSquaresOfFullScale += f * f
                            stats.largestInputOfFullScale = max(stats.largestInputOfFullScale, f)
                        }
                    }
                }
                for v in start..<end where scales[v] > 0 {
                    for j in 0..<p.outputs {
                        var difference = 0.0
                        for c in 0..<copies {
                            let plus = ((v - start) * copies + c) * columns + 2 * (p.colPairOffset + j)
                            difference += Double(currents[plus] - currents[plus + 1])
                        }
                        out[v][j] += difference / Double(copies) / (k * scales[v] / signalScale)
                    }
                }
                start = end
            }
        }
        defects.correct(&out, matrix: matrix, inputs: inputs)
        if recordsStatistics, let W = model.matrix(named: matrix) {
            for (v, x) in inputs.enumerated() {
                let exact = W.times(x)
                stats.vectors += 1
                for j in exact.indices {
                    let e = out[v][j] - exact[j]
                    stats.exactSquares += exact[j] * exact[j]
                    stats.errorSquares += e * e
                    stats.largestExact = max(stats.largestExact, abs(exact[j]))
                    let signal = k * signalScales[v] * exact[j] / adcStepAmperes
                    stats.signalSquaresInSteps += signal * signal
                }
            }
            statistics[matrix, default: ProductStatistics()].merge(stats)
        }
        return out
    }

    public func eventStates(layer: Int, timesSeconds: [Double], increments: [[Double]], tauSeconds: [Double]) throws -> [[Double]] {
        Self.digitalEventStates(timesSeconds: timesSeconds, increments: increments, tauSeconds: tauSeconds)
    }
}
