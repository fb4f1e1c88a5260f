import XbarBoard
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
    /// Whether an S4D's decay `A x` is multiplied on the chip (its placement exists).
    public let multipliesDecayOnChip: Bool

    /// MVM requests sent so far.
    public private(set) var requestCount = 0
    /// Vectors multiplied so far.
    public private(set) var vectorCount = 0

    public var backendDescription: String { board.backendDescription }

    /// - Parameters:
    ///   - maxPayloadBytes: the board's largest frame payload (from IDENTIFY).
    ///   - decayOnChip: multiply an S4D's diagonal decay on its tile (when placed) instead of digitally.
    public init(board: any Board, model: SSMModel, map: WeightMap, instrument: Instrument,
                maxPayloadBytes: Int, decayOnChip: Bool = true) {
        self.board = board
        self.model = model
        self.map = map
        // Just inside the DAC's full scale and the MVM voltage limit, so that rounding in single
        // precision never asks for more than the board allows.
        inputFullScaleVolts = Double(min(instrument.dac.fullScaleVolts, instrument.limits.maxMVMVolts)) * (1 - 1e-6)
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
            var start = 0
            while start < inputs.count {
                let end = min(start + vectorsPerRequest, inputs.count)
                var volts = [Float](repeating: 0, count: (end - start) * rows)
                for v in start..<end {
                    let base = (v - start) * rows
                    for i in 0..<p.rows { volts[base + p.rowOffset + i] = Float(inputs[v][p.inputOffset + i] * scales[v]) }
                }
                let currents = try board.mvm(MatrixVectorProduct(tile: tile.index, encoding: .voltage, readVolts: 0,
                                                                 inputLength: UInt16(rows), inputs: volts)).amperes
                requestCount += 1
                vectorCount += end - start
                for v in start..<end where scales[v] > 0 {
                    let base = (v - start) * columns
                    for j in 0..<p.outputs {
                        let plus = base + 2 * (p.colPairOffset + j)
                        out[v][j] += Double(currents[plus] - currents[plus + 1]) / (k * scales[v])
                    }
                }
                start = end
            }
        }
        return out
    }

    public func eventStates(layer: Int, timesSeconds: [Double], increments: [[Double]], tauSeconds: [Double]) throws -> [[Double]] {
        Self.digitalEventStates(timesSeconds: timesSeconds, increments: increments, tauSeconds: tauSeconds)
    }
}
