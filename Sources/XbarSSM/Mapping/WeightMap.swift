import XbarInstrument
import XbarWire

/// The target conductances that put a model's matrices on the weight tiles, and the scale
/// that turns column-pair currents back into weight products.
///
/// A signed weight `w` of matrix `W` is a differential pair on the columns of its output `j`:
/// `G+ = low + k_j max(w, 0)` on the even column, `G- = low + k_j max(-w, 0)` on the odd one,
/// so `G+ - G- = k_j w`. With ``Scaling/perOutput`` `k_j = (high - low) / max_i |W_ji|`: every
/// output's largest weight spans the whole programmable range, so an output whose weights are
/// small still draws column currents the ADC resolves (the outputs of the shipped models have
/// largest weights at 0.55 to 0.8 of their matrix's on average, down to a third). With
/// ``Scaling/perMatrix`` one `k = (high - low) / max|W|` serves the whole matrix.
///
/// Keeping the unused cell of a pair at
/// `low` (rather than centring both) keeps column currents small, which keeps them inside
/// the ADC's range. Unused cells are at `low` too: the lowest conductance a write-verify job
/// accepts as a target (every cell of a tile is programmed, so "off" must be reachable).
///
/// With row voltages `V_i = s x_i` the pair currents give `(I+ - I-) / (k_j s) = sum_i w_ji x_i`.
public struct WeightMap: Sendable {
    /// How weights become conductance differences.
    public enum Scaling: String, Hashable, Sendable, CaseIterable {
        /// One scale per matrix: its largest weight spans the range.
        case perMatrix = "per-matrix"
        /// One scale per output (column pair): each output's largest weight spans the range.
        case perOutput = "per-output"
    }

    /// One weight tile's targets.
    public struct TileTargets: Sendable {
        public var tile: TileInfo
        /// Row-major, siemens.
        public var siemens: [Double]
    }

    /// Targets of every weight tile, in instrument order.
    public let tiles: [TileTargets]
    /// Siemens per unit weight of each output, by matrix name.
    public let siemensPerUnitWeight: [String: [Double]]
    public let scaling: Scaling
    public let placements: [TilePlacement]
    /// Target bounds, siemens.
    public let lowSiemens: Double
    public let highSiemens: Double
    /// S4D blocks whose `A` and `B` are mapped with one shared scale per output, so that their
    /// state update is one product (see ``StackedRecurrence``).
    public let stackedRecurrences: [StackedRecurrence]
    /// Whether an S4D's decay placements hold `a - 1` (the step's increment) rather than `a`.
    public let mapsDecayIncrements: Bool

    /// The matrix `name`'s placements hold: the model's, or `diag(a - 1)` for an S4D's decay
    /// when ``mapsDecayIncrements``.
    public func weights(of name: String, in model: SSMModel) -> Matrix? {
        Self.weights(of: name, in: model, increments: mapsDecayIncrements)
    }

    static func weights(of name: String, in model: SSMModel, increments: Bool) -> Matrix? {
        guard let W = model.matrix(named: name) else { return nil }
        guard increments, model.architecture == .s4d, name.hasSuffix(".A") else { return W }
        return Matrix(diagonal: (0..<W.rows).map { W[$0, $0] - 1 })
    }

    /// Maps a model onto an instrument's weight tiles.
    ///
    /// - Parameters:
    ///   - lowSiemens, highSiemens: the programmable target range (a write-verify job's accepted
    ///     targets; see ``programmableRange(of:)``).
    /// - Throws: ``SSMFileError`` when a placement names a tile the instrument lacks or that
    ///   holds STM nodes, or does not fit the tile.
    ///   - scaling: one scale per matrix or per output.
    ///   - stacksRecurrence: map the `A` and `B` of every S4D block that ``StackedRecurrence``
    ///     finds with a shared scale, so that the chip multiplies its state update in one product.
    ///   - decayIncrements: map an S4D's decay as `a - 1` (the default), so that the chip computes
    ///     each step's increment `(a - 1) x + B h` and the host adds it to `x` (see
    ///     ``ChipInLoopBackend``); with the decay on the host its placements are not driven.
    public init(model: SSMModel, instrument: Instrument, lowSiemens: Double, highSiemens: Double,
                scaling: Scaling = .perOutput, stacksRecurrence: Bool = false, decayIncrements: Bool = true) throws(SSMFileError) {
        precondition(lowSiemens > 0 && highSiemens > lowSiemens, "the programmable range must be positive and non-empty")
        let weightTiles = instrument.weightTiles
        var targets = weightTiles.map { TileTargets(tile: $0, siemens: [Double](repeating: lowSiemens, count: $0.cellCount)) }
        var scales: [String: [Double]] = [:]
        let stacked = stacksRecurrence ? StackedRecurrence.all(in: model) : []
        for s in stacked {
            guard let A = Self.weights(of: s.decay.matrix, in: model, increments: decayIncrements) else { continue }
            let B = model.layers[s.layer].B
            // [B | A] row by row: each output's largest weight over both spans the range.
            var joined: [Double] = []
            for j in 0..<B.rows { joined += (0..<B.columns).map { B[j, $0] } + (0..<A.columns).map { A[j, $0] } }
            let k = Self.scales(of: Matrix(rows: B.rows, columns: B.columns + A.columns, values: joined),
                                range: highSiemens - lowSiemens, scaling: scaling)
            scales[s.input.matrix] = k
            scales[s.decay.matrix] = k
            scales[s.matrix] = k
        }
        for p in model.placements {
            guard let W = Self.weights(of: p.matrix, in: model, increments: decayIncrements) else {
                throw SSMFileError(file: model.file, key: "__metadata__.tile_map", problem: "places unknown matrix \(p.matrix)")
            }
            guard let t = targets.firstIndex(where: { Int($0.tile.index) == p.tile }) else {
                throw SSMFileError(file: model.file, key: "__metadata__.tile_map",
                                    problem: "places \(p.matrix) on tile \(p.tile), which is not a weight tile of \(instrument.name) (weight tiles: \(weightTiles.map { String($0.index) }.joined(separator: ", ")))")
            }
            let info = targets[t].tile
            guard p.rowOffset + p.rows <= Int(info.rows), 2 * (p.colPairOffset + p.outputs) <= Int(info.columns) else {
                throw SSMFileError(file: model.file, key: "__metadata__.tile_map",
                                    problem: "\(p.matrix) on tile \(p.tile) does not fit its \(info.rows)x\(info.columns) cells")
            }
            let k = scales[p.matrix] ?? Self.scales(of: W, range: highSiemens - lowSiemens, scaling: scaling)
            scales[p.matrix] = k
            let columns = Int(info.columns)
            for i in 0..<p.rows {
                let row = p.rowOffset + i
                for j in 0..<p.outputs {
                    let w = W[j, p.inputOffset + i]
                    let plus = 2 * (p.colPairOffset + j)
                    // `k` maps the output's largest weight onto the range exactly; the min only
                    // takes back the last bit rounding can add above its top.
                    targets[t].siemens[row * columns + plus] = min(lowSiemens + k[j] * max(w, 0), highSiemens)
                    targets[t].siemens[row * columns + plus + 1] = min(lowSiemens + k[j] * max(-w, 0), highSiemens)
                }
            }
        }
        self.tiles = targets
        self.siemensPerUnitWeight = scales
        self.scaling = scaling
        self.placements = model.placements
        self.lowSiemens = lowSiemens
        self.highSiemens = highSiemens
        self.stackedRecurrences = stacked
        mapsDecayIncrements = decayIncrements
    }

    /// Maps with the instrument's default device model's programmable range.
    public init(model: SSMModel, instrument: Instrument, scaling: Scaling = .perOutput, stacksRecurrence: Bool = false,
                decayIncrements: Bool = true) throws(SSMFileError) {
        let r = Self.programmableRange(of: instrument)
        try self.init(model: model, instrument: instrument, lowSiemens: r.low, highSiemens: r.high, scaling: scaling,
                      stacksRecurrence: stacksRecurrence, decayIncrements: decayIncrements)
    }

    /// Siemens per unit weight of each output of `W`. An output whose weights are all zero takes
    /// the matrix's scale (its cells all sit at `low` either way).
    private static func scales(of W: Matrix, range: Double, scaling: Scaling) -> [Double] {
        let whole = range / max(W.maxMagnitude, .leastNormalMagnitude)
        switch scaling {
        case .perMatrix:
            return [Double](repeating: whole, count: W.rows)
        case .perOutput:
            return (0..<W.rows).map { j in
                var m = 0.0
                for i in 0..<W.columns { m = max(m, abs(W[j, i])) }
                return m > 0 ? range / m : whole
            }
        }
    }

    /// The targets a write-verify job accepts for this instrument's cells: three device-to-device
    /// standard deviations inside the mean bounds, so a cell's own bounds almost never exclude
    /// a target.
    public static func programmableRange(of instrument: Instrument) -> (low: Double, high: Double) {
        let nv = instrument.device.nonVolatile
        return (nv.gMinSiemens.mean * (1 + 3 * nv.gMinSiemens.spread), nv.gMaxSiemens.mean * (1 - 3 * nv.gMaxSiemens.spread))
    }

    /// What the host believes the tiles hold, from a read-back: a cell read within
    /// `toleranceSiemens` of its target is taken at its target, any other at its reading.
    ///
    /// Reads of small conductances carry a bias of up to half the read ADC's step (about
    /// 0.2 uS at the verify voltage of `usb-4x64`) that averaging does not remove when the
    /// read noise is smaller than the step, while a write-verified cell is within tolerance of
    /// its target with errors of both signs: for a whole column the target is the better
    /// belief, except for cells that missed (stuck, out of pulses), whose reading is all there is.
    ///
    /// - Parameter readBack: conductances per tile index, row-major, siemens; tiles missing
    ///   from it are believed to hold their targets.
    public func believedConductances(readBack: [UInt8: [Double]], toleranceSiemens: Double) -> [UInt8: [Double]] {
        var out: [UInt8: [Double]] = [:]
        for t in tiles {
            guard let read = readBack[t.tile.index], read.count == t.siemens.count else { continue }
            out[t.tile.index] = zip(read, t.siemens).map { abs($0 - $1) <= toleranceSiemens ? $1 : $0 }
        }
        return out
    }

    /// All weight tiles stacked vertically (tile 0's rows first), the layout `xbar program --target`
    /// takes: `(rows, columns, row-major siemens)`.
    public var stacked: (rows: Int, columns: Int, siemens: [Double]) {
        let columns = tiles.map { Int($0.tile.columns) }.max() ?? 0
        let rows = tiles.reduce(0) { $0 + Int($1.tile.rows) }
        return (rows, columns, tiles.flatMap(\.siemens))
    }

    /// `W @ x` as the tile would compute it with exactly its target conductances and no
    /// converters: the mapping's own round trip, for checking it.
    public func idealProducts(of matrix: String, input x: [Double]) -> [Double] {
        guard let k = siemensPerUnitWeight[matrix] else { preconditionFailure("\(matrix) is not mapped") }
        var out: [Double] = []
        for p in placements where p.matrix == matrix {
            guard let t = tiles.first(where: { Int($0.tile.index) == p.tile }) else { continue }
            let columns = Int(t.tile.columns)
            if out.isEmpty { out = [Double](repeating: 0, count: p.outputs) }
            for j in 0..<p.outputs {
                var plus = 0.0, minus = 0.0
                for i in 0..<p.rows {
                    let row = (p.rowOffset + i) * columns + 2 * (p.colPairOffset + j)
                    plus += t.siemens[row] * x[p.inputOffset + i]
                    minus += t.siemens[row + 1] * x[p.inputOffset + i]
                }
                out[j] += (plus - minus) / k[j]
            }
        }
        return out
    }
}
