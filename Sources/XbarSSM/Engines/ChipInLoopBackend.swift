import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// Matrix products on a board's programmed weight tiles.
///
/// Each product is a batch of MVM requests (as many vectors per request as the board's payload
/// allows) driving only the rows of the matrix's slab with the signal. How inputs become row
/// voltages and how often each is converted is set by ``ReadoutSettings``; column-pair
/// currents come back through the ADC, are corrected with the ``ReadoutCalibration`` when one
/// is given (`I = (I_measured - offset) / gain` per column), and are turned into weight
/// products with the map's scales: `(I+ - I-) / (k_j s)` for `s` volts per unit input.
///
/// The ADC's step (1/127 of a full scale meant for whole columns) is comparable to the
/// product a 32-row slab produces, so one conversion loses most of a product's resolution.
/// With `P > 0` dither pairs each vector is multiplied `2P` times, as `x + d` and `x - d`
/// for `P` random dither vectors `d`: the analog sums of each pair average to the product
/// exactly, while their conversion errors, decorrelated by the dither, average down. Dither
/// drives the tile's other rows when the slab leaves some (their cells add a current that
/// each pair cancels exactly, and the signal keeps the full scale); otherwise it shares the
/// slab's rows (each entry up to ``ReadoutSettings/ditherFraction`` of full scale, the signal
/// scaled down by as much). It costs `2P` vectors per product.
///
/// Column currents are planned from the map's target conductances: when a vector's largest
/// possible column current (signal and dither) would pass ``ReadoutSettings/adcHeadroom`` of
/// the ADC's full scale, the vector is scaled down to fit. A conversion that still reads full
/// scale (without a sense range the wire has no saturation flag, so a full-scale code counts as
/// saturated) has its vector measured again at half the scale, up to
/// ``ReadoutSettings/saturationRetries`` times.
///
/// On a board with sense ranges (``ReadoutSettings/usesSenseRanges``), each vector is driven at
/// the DAC's full scale and converted in the smallest range that holds its planned column
/// currents: from the targets' mean and spread per row, the columns' common current plus three
/// standard deviations of their spread, through the calibration's largest column gain, plus its
/// largest offset. A vector whose planned signal spans
/// ``ReadoutSettings/ditherFreeSteps`` steps of that range is converted once, without dither;
/// only those the smallest range still leaves short of it are dithered. Saturation comes from
/// the reply's flags, and a flagged vector is measured again in the next range up.
///
/// An S4D's recurrence runs on the chip by default (``multipliesDecayOnChip``): its decay `A`
/// is a product on its tile like `B` and `C`, the states themselves (their magnitudes, each
/// vector's largest at full scale) driving its rows every step. Mapped as `a - 1` (the map's
/// ``WeightMap/mapsDecayIncrements``), the chip gives each step's increment `(a - 1) x + B h`
/// and the host adds it to `x`; mapped as `a`, the chip gives `a x + B h` itself. A block whose
/// `A` and `B` the map stacks on one tile (``StackedRecurrence``) is one product driven with its
/// inputs and states together; otherwise its two products are added on the host. Those
/// additions are counted (``HostArithmetic/partialSums``). With the decay on the host,
/// `a * x + B h` is computed there (``HostArithmetic/stateDecays``).
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
    public let settings: ReadoutSettings
    public let calibration: ReadoutCalibration?
    /// Pairs whose programming missed, corrected on the host.
    public let defects: PairDefects
    /// DAC full scale within the MVM voltage limit, volts.
    public let fullScaleVolts: Double
    /// Vectors per MVM request.
    public let vectorsPerRequest: Int
    /// Vectors per MVM request in a sense range, whose reply adds a flag bit per current.
    public let rangedVectorsPerRequest: Int
    /// Whether an S4D's recurrence runs on the chip: its decay `A x` multiplied on its tile (its
    /// placement exists), in one product with `B h` where the map stacks them.
    public let multipliesDecayOnChip: Bool

    /// MVM requests sent so far.
    public private(set) var requestCount = 0
    /// Vectors multiplied so far.
    public private(set) var vectorCount = 0
    /// Conversions that read the ADC's full scale so far.
    public private(set) var saturatedConversions = 0
    /// Vectors measured again after a saturated conversion.
    public private(set) var remeasuredVectors = 0
    /// Matrix-vector products asked for so far: input vectors times the slabs they are multiplied on.
    public private(set) var productCount = 0
    /// Vectors converted in one of the board's sense ranges so far (dither copies included).
    public private(set) var rangedVectors = 0
    /// Whether to compare every product with the exact one and record converter use (costs
    /// an exact product per vector on the host).
    public var recordsStatistics = false
    /// What ``recordsStatistics`` gathered, by matrix name.
    public private(set) var statistics: [String: ProductStatistics] = [:]
    /// Holds event SSM states on the board's STM nodes when set; otherwise states decay on the host.
    public var statePlayer: STMStatePlayer?
    /// Multiply-accumulates the crossbar did and arithmetic the host did inside the inference.
    public private(set) var hostArithmetic = HostArithmetic()
    /// What the products asked of the chip, for the inference's energy estimate.
    public private(set) var energy = InferenceEnergy()

    public var backendDescription: String { board.backendDescription }

    var dither: Xoshiro256StarStar
    /// The board's sense ranges in use, smallest full scale first; empty without ranges.
    let ranges: [RangeChoice]
    let adcFullScaleAmperes: Double
    let adcStepAmperes: Double
    let slabs: [String: [Slab]]

    /// A sense range as the planning sees it: its index on the wire, full scale and step, amperes.
    struct RangeChoice {
        var index: UInt8
        var fullScaleAmperes: Double
        var stepAmperes: Double
    }

    /// One placement with what the products need of its tile, worked out once.
    struct Slab {
        var placement: TilePlacement
        var tile: UInt8
        var rows: Int
        var columns: Int
        /// Tile rows outside the slab (dither goes there when there are any).
        var ditherRows: [Int]
        /// Target conductances of the slab's rows and columns, row-major over the slab:
        /// `siemens[i * 2 outputs + c]` for slab row `i` and the slab's column `c`.
        var siemens: [Double]
        /// Per slab column: target conductance summed over the slab's rows, and over the dither rows.
        var slabSums: [Double]
        var ditherSums: [Double]
        /// Per slab row: the mean and the variance of its target conductances over the slab's
        /// columns (siemens, square siemens), from which a vector's column currents are planned.
        var rowMeans: [Double]
        var rowVariances: [Double]
        /// The slab columns' largest readout gain and largest offset magnitude (amperes).
        var largestGain: Double
        var largestOffset: Double
        /// Per slab column: readout gain and offset (1 and 0 without a calibration).
        var gains: [Double]
        var offsets: [Double]
        /// Per tile row: what its voltage is multiplied by when sent (1 without a calibration).
        var rowScales: [Double]
        /// Per tile row: the targets of all its cells summed, siemens (a driven row's voltage
        /// falls across every cell of the row, not only the slab's), for the energy estimate.
        var rowSiemens: [Double]
        /// The tile's calibration, for the converter's deviation per code.
        var measured: ReadoutCalibration.Tile?
        /// Whether the slab is a whole diagonal matrix: output `j` depends on input `j` alone.
        var isDiagonal: Bool
        /// What the outputs are multiplied by, folded into their scale: the rows' common scaling
        /// down when a diagonal's rows are trimmed (1 otherwise).
        var outputGain = 1.0
    }

    /// - Parameters:
    ///   - maxPayloadBytes: the board's largest frame payload (from IDENTIFY).
    ///   - decayOnChip: run an S4D's recurrence on the chip (its decay on its tile, when placed)
    ///     instead of decaying its states on the host.
    public init(board: any Board, model: SSMModel, map: WeightMap, instrument: Instrument,
                maxPayloadBytes: Int, settings: ReadoutSettings = .ranged, calibration: ReadoutCalibration? = nil,
                decayOnChip: Bool = true, seed: UInt64 = 1, defects: PairDefects = PairDefects(),
                senseRanges: [SenseRange] = []) {
        self.defects = defects
        self.board = board
        self.model = model
        self.map = map
        self.settings = settings
        self.calibration = calibration
        // Just inside the DAC's full scale and the MVM voltage limit, so that rounding in single
        // precision never asks for more than the board allows.
        fullScaleVolts = Double(min(instrument.dac.fullScaleVolts, instrument.limits.maxMVMVolts)) * (1 - 1e-6)
        dither = Xoshiro256StarStar(seed: seed)
        adcFullScaleAmperes = Double(instrument.adc.mvmFullScaleAmperes)
        let levels = Double((1 << (Int(instrument.adc.bits) - 1)) - 1)
        adcStepAmperes = adcFullScaleAmperes / levels
        ranges = settings.usesSenseRanges
            ? senseRanges.enumerated().map { RangeChoice(index: UInt8($0.offset), fullScaleAmperes: Double($0.element.fullScaleAmperes),
                                                         stepAmperes: Double($0.element.fullScaleAmperes) / levels) }
                .sorted { $0.fullScaleAmperes < $1.fullScaleAmperes }
            : []
        let rows = map.tiles.map { Int($0.tile.rows) }.max() ?? 64
        let columns = map.tiles.map { Int($0.tile.columns) }.max() ?? 64
        vectorsPerRequest = Self.vectorsPerRequest(rows: rows, columns: columns, maxPayloadBytes: maxPayloadBytes)
        rangedVectorsPerRequest = max(1, min(vectorsPerRequest, (maxPayloadBytes - 16) * 8 / (33 * columns)))
        multipliesDecayOnChip = decayOnChip && model.placements.contains { $0.matrix.hasSuffix(".A") }
        var slabs: [String: [Slab]] = [:]
        for p in map.placements {
            guard let t = map.tiles.first(where: { Int($0.tile.index) == p.tile }) else { continue }
            var slab = Self.slab(p, t, calibration: calibration, model: model, map: map)
            if let trim = defects.diagonalTrims[p.matrix] { Self.trim(&slab, rows: p.physicalRows, by: trim) }
            slabs[p.matrix, default: []].append(slab)
        }
        for stacked in map.stackedRecurrences {
            guard let t = map.tiles.first(where: { Int($0.tile.index) == stacked.combined.tile }) else { continue }
            var slab = Self.slab(stacked.combined, t, calibration: calibration, model: model, map: map)
            if let trim = defects.diagonalTrims[stacked.decay.matrix] { Self.trim(&slab, rows: stacked.decay.physicalRows, by: trim) }
            slabs[stacked.matrix] = [slab]
        }
        self.slabs = slabs
    }

    /// Drives the rows `rows` of a slab (a diagonal's, in order) `trim` times harder: every row of
    /// the slab is scaled down by the largest trim, so that no row passes full scale, and the
    /// outputs are scaled back up by as much (``Slab/outputGain``).
    static func trim(_ slab: inout Slab, rows: Range<Int>, by trim: [Double]) {
        let largest = max(trim.max() ?? 1, 1)
        for r in slab.placement.physicalRows { slab.rowScales[r] /= largest }
        for (r, t) in zip(rows, trim) { slab.rowScales[r] *= t }
        slab.outputGain = largest
    }

    /// Vectors one MVM request can carry within a payload: the request's inputs and the reply's
    /// currents, four bytes each, after their headers.
    public static func vectorsPerRequest(rows: Int, columns: Int, maxPayloadBytes: Int) -> Int {
        max(1, min((maxPayloadBytes - 32) / (4 * rows), (maxPayloadBytes - 16) / (4 * columns)))
    }

    private static func slab(_ p: TilePlacement, _ t: WeightMap.TileTargets, calibration: ReadoutCalibration?, model: SSMModel,
                             map: WeightMap) -> Slab {
        let rows = Int(t.tile.rows), columns = Int(t.tile.columns)
        let first = 2 * p.colPairOffset, width = 2 * p.outputs
        var siemens = [Double](repeating: 0, count: p.rows * width)
        var slabSums = [Double](repeating: 0, count: width)
        var ditherSums = [Double](repeating: 0, count: width)
        for r in 0..<rows {
            for c in 0..<width {
                let g = t.siemens[r * columns + first + c]
                if p.physicalRows.contains(r) {
                    siemens[(r - p.rowOffset) * width + c] = g
                    slabSums[c] += g
                } else {
                    ditherSums[c] += g
                }
            }
        }
        // A calibration of another geometry cannot describe these columns; it is left out.
        let measured = calibration?.tile(t.tile.index).flatMap { $0.gains.count == columns && $0.offsetsAmperes.count == columns ? $0 : nil }
        let gains = (0..<width).map { c in measured.map { $0.gains[first + c] } ?? 1 }
        let offsets = (0..<width).map { c in measured.map { $0.offsetsAmperes[first + c] } ?? 0 }
        let rowScales = measured?.rowScales.flatMap { $0.count == rows ? $0 : nil } ?? [Double](repeating: 1, count: rows)
        var diagonal = false
        if let W = map.weights(of: p.matrix, in: model), W.rows == W.columns, p.inputOffset == 0, p.rows == W.columns, p.outputs == W.rows {
            diagonal = (0..<W.rows).allSatisfy { r in (0..<W.columns).allSatisfy { c in r == c || W[r, c] == 0 } }
        }
        let rowMeans = (0..<p.rows).map { i in (0..<width).reduce(0.0) { $0 + siemens[i * width + $1] } / Double(width) }
        let rowVariances = (0..<p.rows).map { i in
            (0..<width).reduce(0.0) { $0 + (siemens[i * width + $1] - rowMeans[i]) * (siemens[i * width + $1] - rowMeans[i]) } / Double(width)
        }
        return Slab(placement: p, tile: t.tile.index, rows: rows, columns: columns,
                    ditherRows: (0..<rows).filter { !p.physicalRows.contains($0) }, siemens: siemens,
                    slabSums: slabSums, ditherSums: ditherSums, rowMeans: rowMeans, rowVariances: rowVariances,
                    largestGain: gains.max() ?? 1, largestOffset: offsets.map(abs).max() ?? 0,
                    gains: gains, offsets: offsets, rowScales: rowScales,
                    rowSiemens: (0..<rows).map { r in t.siemens[(r * columns)..<((r + 1) * columns)].reduce(0, +) },
                    measured: measured, isDiagonal: diagonal)
    }

    public mutating func products(of matrix: String, inputs: [[Double]], inputRange: Double?) throws -> [[Double]] {
        try products([(matrix, inputs, inputRange)])[0]
    }

    /// Several matrices' products that do not depend on one another, in the order asked: the
    /// slabs that sit on one tile share its requests (see ``multiply(_:_:)``), tiles taken in the
    /// order their first slab is asked for. With one slab per tile, the requests are those of
    /// the products asked one after another.
    ///
    /// - Throws: `BoardError` when an MVM fails.
    mutating func products(_ asked: [(matrix: String, inputs: [[Double]], inputRange: Double?)]) throws -> [[[Double]]] {
        var products: [Product] = []
        var tiles: [(tile: UInt8, parts: [(slab: Slab, product: Int)])] = []
        for (n, ask) in asked.enumerated() {
            guard let k = map.siemensPerUnitWeight[ask.matrix], let slabs = slabs[ask.matrix], let outputs = slabs.first?.placement.outputs else {
                preconditionFailure("\(ask.matrix) has no placement; the model file's validation guarantees one")
            }
            products.append(Product(k: k, inputs: ask.inputs, inputRange: ask.inputRange,
                                    out: [[Double]](repeating: [Double](repeating: 0, count: outputs), count: ask.inputs.count),
                                    voltsPerUnit: [Double](repeating: 0, count: ask.inputs.count)))
            productCount += ask.inputs.count * slabs.count
            for slab in slabs {
                if let t = tiles.firstIndex(where: { $0.tile == slab.tile }) {
                    tiles[t].parts.append((slab, n))
                } else {
                    tiles.append((slab.tile, [(slab, n)]))
                }
            }
        }
        for t in tiles { try multiply(t.parts, &products) }
        return asked.indices.map { n in finish(asked[n].matrix, products[n]) }
    }

    /// A matrix's product once its slabs are converted: the pairs missed in programming
    /// corrected on the host, and the statistics when recorded.
    private mutating func finish(_ matrix: String, _ product: Product) -> [[Double]] {
        var out = product.out, stats = product.stats
        let inputs = product.inputs, k = product.k, voltsPerUnit = product.voltsPerUnit
        guard let slabs = slabs[matrix], let outputs = slabs.first?.placement.outputs else { return out }
        let stacked = map.stackedRecurrences.first { $0.matrix == matrix }
        if let stacked {
            // Each part's missed pairs against its own part of the inputs.
            let parts = inputs.map { stacked.split($0) }
            defects.correct(&out, matrix: stacked.input.matrix, inputs: parts.map(\.h))
            defects.correct(&out, matrix: stacked.decay.matrix, inputs: parts.map(\.x))
            hostArithmetic.pairCorrections += ((defects.byMatrix[stacked.input.matrix]?.count ?? 0)
                                               + (defects.byMatrix[stacked.decay.matrix]?.count ?? 0)) * inputs.count
        } else if !(slabs.count == 1 && slabs[0].isDiagonal && settings.inputScaling == .perVector && settings.rowScaledDiagonals) {
            defects.correct(&out, matrix: matrix, inputs: inputs)
            hostArithmetic.pairCorrections += (defects.byMatrix[matrix]?.count ?? 0) * inputs.count
        }
        // Slabs of one matrix are added on the host (one addition per output beyond the first slab).
        hostArithmetic.partialSums += inputs.count * outputs * (slabs.count - 1)
        if recordsStatistics, let exactProduct = exactProduct(of: matrix, stacked: stacked) {
            for (v, x) in inputs.enumerated() {
                let exact = exactProduct(x)
                stats.vectors += 1
                for j in exact.indices {
                    let e = out[v][j] - exact[j]
                    stats.exactSquares += exact[j] * exact[j]
                    stats.errorSquares += e * e
                    stats.largestExact = max(stats.largestExact, abs(exact[j]))
                    let signal = k[j] * voltsPerUnit[v] * exact[j] / adcStepAmperes
                    stats.signalSquaresInSteps += signal * signal
                }
            }
            statistics[matrix, default: ProductStatistics()].merge(stats)
        }
        return out
    }

    /// The exact product of `matrix` (the model's, or a stacked block's `B h + a x`), for statistics.
    private func exactProduct(of matrix: String, stacked: StackedRecurrence?) -> (([Double]) -> [Double])? {
        if let stacked {
            let B = model.layers[stacked.layer].B
            guard let A = map.weights(of: stacked.decay.matrix, in: model) else { return nil }
            return { v in
                let (h, x) = stacked.split(v)
                return zip(B.times(h), A.times(x)).map(+)
            }
        }
        guard let W = map.weights(of: matrix, in: model) else { return nil }
        return { W.times($0) }
    }

    /// An S4D block's step: one product where the map stacks `A` and `B`, else two added on the
    /// host (in shared requests where they share a tile); with the decay on the host, `B h` on
    /// the chip and `a * x + B h` on the host.
    ///
    /// - Throws: `BoardError` when an MVM fails.
    public mutating func s4dStates(layer: Int, states: [[Double]], inputs: [[Double]], inputRange: Double?) throws -> [[Double]] {
        guard multipliesDecayOnChip else {
            let bh = try products(of: "layers.\(layer).B", inputs: inputs, inputRange: inputRange)
            hostArithmetic.stateDecays += states.count * model.stateCount
            return model.decayedS4DStates(layer: layer, states: states, increments: bh)
        }
        var next: [[Double]]
        if let stacked = map.stackedRecurrences.first(where: { $0.layer == layer }), slabs[stacked.matrix] != nil {
            // The states are float; so is the joined vector (scaled by its own largest entry).
            next = try products(of: stacked.matrix, inputs: zip(inputs, states).map { stacked.combinedInput(h: $0, x: $1) }, inputRange: nil)
        } else {
            // Neither product waits for the other: where A and B share a tile, their vectors share its requests.
            let both = try products([("layers.\(layer).A", states, nil), ("layers.\(layer).B", inputs, inputRange)])
            let ax = both[0], bh = both[1]
            hostArithmetic.partialSums += states.count * model.stateCount
            next = zip(ax, bh).map { zip($0, $1).map(+) }
        }
        guard map.mapsDecayIncrements else { return next }
        // The chip gave the step's increment; the state is the previous one plus it.
        hostArithmetic.partialSums += states.count * model.stateCount
        return zip(states, next).map { zip($0, $1).map(+) }
    }

    /// One vector waiting to be multiplied: its volts per unit input (per unit of the input's sign
    /// when each row is driven at its own full scale), its dither amplitude, volts, its dither
    /// pairs, and the sense range it is converted in (an index into ``ranges``; nil: none).
    private struct Pending {
        /// The slab's place among the parts of its tile's requests.
        var part: Int
        var vector: Int
        var scale: Double
        var ditherVolts: Double
        var retries: Int
        var pairs: Int
        var range: Int?
    }

    /// The input scale and dither amplitude of a vector within `budget` amperes of planned column
    /// current: the largest input at the signal's full scale, shrunk when the column currents
    /// the targets give could pass the budget.
    private func plan(_ slab: Slab, _ x: [Double], largest: Double, inputRange: Double?, pairs: Int, perRow: Bool,
                      budget: Double) -> (scale: Double, ditherVolts: Double) {
        let p = slab.placement, width = 2 * p.outputs
        let inSlab = slab.ditherRows.isEmpty
        // In-slab dither shares the rows' range with the signal; dither on other rows spans the whole range.
        let ditherVolts = pairs == 0 ? 0 : (inSlab ? fullScaleVolts * settings.ditherFraction : fullScaleVolts)
        let signalFullScale = inSlab ? fullScaleVolts - ditherVolts : fullScaleVolts
        let ditherSums = inSlab ? slab.slabSums : slab.ditherSums
        let scale: Double
        switch settings.inputScaling {
        case .activationRange: scale = inputRange.map { signalFullScale / $0 } ?? (largest > 0 ? signalFullScale / largest : 0)
        case .perVector: scale = largest > 0 ? signalFullScale / largest : 0
        }
        var shrink = 1.0
        if settings.adcHeadroom < 1 {
            // A bound from the largest input first; the exact per-row bound only when that one fails.
            var worst = 0.0
            for c in 0..<width { worst = max(worst, scale * largest * slab.slabSums[c] + ditherVolts * ditherSums[c]) }
            if worst > budget {
                worst = 0
                for c in 0..<width {
                    var signal = 0.0
                    for i in 0..<p.rows {
                        let u = perRow ? (x[p.inputOffset + i] == 0 ? 0 : 1) : abs(x[p.inputOffset + i])
                        signal += slab.siemens[i * width + c] * u
                    }
                    worst = max(worst, scale * signal + ditherVolts * ditherSums[c])
                }
                if worst > budget { shrink = budget / worst }
            }
        }
        return (scale * shrink, ditherVolts * shrink)
    }

    /// One matrix's product while its slabs are multiplied: what it multiplies, its scales, and
    /// what its slabs add up.
    private struct Product {
        var k: [Double]
        var inputs: [[Double]]
        var inputRange: Double?
        var out: [[Double]]
        var voltsPerUnit: [Double]
        var stats = ProductStatistics()
    }

    /// The products of slabs that sit on one tile (`parts`: a slab and the index of its product
    /// in `products`), their vectors sharing requests: a request carries every waiting vector of
    /// one sense range and one number of dither pairs, whichever slab of the tile it drives.
    /// Each vector drives only its own slab's rows (and its dither rows), so sharing a request
    /// changes what each is converted in no more than the request it would have had alone; it
    /// saves the board the fixed cost of the requests the slabs would have taken apart.
    private mutating func multiply(_ parts: [(slab: Slab, product: Int)], _ products: inout [Product]) throws {
        guard let tile = parts.first?.slab else { return }
        precondition(parts.allSatisfy { $0.slab.tile == tile.tile }, "the slabs of one request share a tile")
        let rows = tile.rows, columns = tile.columns
        let ranged = !ranges.isEmpty && settings.inputScaling == .perVector
        // The smallest range whose headroom holds a planned current.
        let ranges = self.ranges, headroom = settings.adcHeadroom
        let smallestHolding = { (amperes: Double) in ranges.firstIndex { amperes <= headroom * $0.fullScaleAmperes } }
        func pairs(of slab: Slab) -> Int { slab.isDiagonal ? settings.diagonalDitherPairs : settings.ditherPairs }
        // A diagonal's output j sees row j alone, so each row can take the whole DAC range: the
        // row carries the input's sign at full scale and the output is rescaled by |x_j|.
        func perRow(_ slab: Slab) -> Bool { slab.isDiagonal && settings.inputScaling == .perVector && settings.rowScaledDiagonals }

        var pending: [Pending] = []
        pending.reserveCapacity(parts.reduce(0) { $0 + products[$1.product].inputs.count })
        for (n, part) in parts.enumerated() {
            let slab = part.slab, p = slab.placement
            let slabPairs = pairs(of: slab), perRow = perRow(slab)
            let inputs = products[part.product].inputs, inputRange = products[part.product].inputRange
            let largestDitherSum = (slab.ditherRows.isEmpty ? slab.slabSums : slab.ditherSums).max() ?? 0
            for (v, x) in inputs.enumerated() {
                var largest = 0.0
                for i in p.inputs { largest = max(largest, abs(x[i])) }
                if perRow && largest > 0 { largest = 1 }
                // An all-zero vector has a zero product: the earlier method still sends it (for its dither).
                if largest == 0 && settings.inputScaling == .perVector { continue }
                guard ranged else {
                    let (scale, ditherVolts) = plan(slab, x, largest: largest, inputRange: inputRange, pairs: slabPairs, perRow: perRow,
                                                    budget: settings.adcHeadroom * adcFullScaleAmperes)
                    pending.append(Pending(part: n, vector: v, scale: scale, ditherVolts: ditherVolts, retries: 0, pairs: slabPairs, range: nil))
                    continue
                }
                // The largest column current the vector draws per volt of scale, planned from the
                // targets' row means and variances: the columns' common part plus three standard
                // deviations of their spread (the largest of 64 Gaussian columns is about 2.5). It
                // costs a pass over the rows, not over the matrix; a column it underestimates comes
                // back flagged and is measured again one range up.
                var common = 0.0, spread = 0.0
                for i in 0..<p.rows {
                    let u = x[p.inputOffset + i]
                    let drive = perRow ? (u == 0 ? 0 : (u > 0 ? 1.0 : -1.0)) : u
                    common += drive * slab.rowMeans[i]
                    spread += drive * drive * slab.rowVariances[i]
                }
                let peak = abs(common) + 3 * spread.squareRoot()
                hostArithmetic.rangePlanning += 2 * p.rows
                let plainScale = fullScaleVolts / largest
                let plain = slab.largestGain * plainScale * peak + slab.largestOffset
                if let r = smallestHolding(plain), slabPairs == 0 || plain >= settings.ditherFreeSteps * ranges[r].stepAmperes {
                    pending.append(Pending(part: n, vector: v, scale: plainScale, ditherVolts: 0, retries: 0, pairs: 0, range: r))
                    continue
                }
                // Too small for one conversion even in the smallest range that holds it (or too large
                // for every range): dithered, within the largest range when it must be.
                let (scale, ditherVolts) = plan(slab, x, largest: largest, inputRange: inputRange, pairs: slabPairs, perRow: perRow,
                                                budget: settings.adcHeadroom * ranges[ranges.count - 1].fullScaleAmperes)
                let planned = slab.largestGain * (scale * peak + ditherVolts * largestDitherSum) + slab.largestOffset
                pending.append(Pending(part: n, vector: v, scale: scale, ditherVolts: ditherVolts, retries: 0, pairs: slabPairs,
                                       range: smallestHolding(planned) ?? ranges.count - 1))
            }
        }

        while !pending.isEmpty {
            // One request carries vectors of one range and one number of dither pairs.
            let key = (pending[0].range, pending[0].pairs)
            let pairs = key.1
            let copies = max(1, 2 * pairs)
            let perRequest = max(1, (key.0 == nil ? vectorsPerRequest : rangedVectorsPerRequest) / copies)
            var batch: [Pending] = []
            var rest: [Pending] = []
            for job in pending {
                if batch.count < perRequest && job.range == key.0 && job.pairs == pairs { batch.append(job) } else { rest.append(job) }
            }
            pending = rest
            let range = key.0.map { ranges[$0] }
            let fullScale = range?.fullScaleAmperes ?? adcFullScaleAmperes
            let step = range?.stepAmperes ?? adcStepAmperes
            var volts = [Float](repeating: 0, count: batch.count * copies * rows)
            for (b, job) in batch.enumerated() {
                let slab = parts[job.part].slab, p = slab.placement, perRow = perRow(slab), inSlab = slab.ditherRows.isEmpty
                let x = products[parts[job.part].product].inputs[job.vector]
                for pair in 0..<max(1, pairs) {
                    let plus = (b * copies + 2 * pair) * rows
                    // Each row is sent scaled by its measured loss (at most 1), so that every row
                    // reaches the cells as the lossiest one does; the gains carry the rest.
                    for i in 0..<p.rows {
                        let u = x[p.inputOffset + i]
                        let signal = perRow ? (u == 0 ? 0 : (u > 0 ? job.scale : -job.scale)) : u * job.scale
                        let s = slab.rowScales[p.rowOffset + i]
                        if pairs == 0 {
                            volts[plus + p.rowOffset + i] = Float(s * signal)
                        } else if inSlab {
                            let d = job.ditherVolts * (2 * dither.nextOpenUnit() - 1)
                            volts[plus + p.rowOffset + i] = Float(s * (signal + d))
                            volts[plus + rows + p.rowOffset + i] = Float(s * (signal - d))
                        } else {
                            volts[plus + p.rowOffset + i] = Float(s * signal)
                            volts[plus + rows + p.rowOffset + i] = Float(s * signal)
                        }
                    }
                    if pairs > 0 && !inSlab {
                        for r in slab.ditherRows {
                            let d = slab.rowScales[r] * job.ditherVolts * (2 * dither.nextOpenUnit() - 1)
                            volts[plus + r] = Float(d)
                            volts[plus + rows + r] = Float(-d)
                        }
                    }
                }
            }
            let reply = try board.mvm(MatrixVectorProduct(tile: tile.tile, encoding: .voltage, readVolts: 0,
                                                          inputLength: UInt16(rows), inputs: volts, senseRange: range?.index))
            let currents = reply.amperes
            for k in 0..<(batch.count * copies) {
                energy.addProduct(rowVolts: volts[(k * rows)..<((k + 1) * rows)], rowSiemens: tile.rowSiemens, columns: columns)
            }
            requestCount += 1
            vectorCount += batch.count * copies
            if range != nil { rangedVectors += batch.count * copies }
            for (b, job) in batch.enumerated() {
                let slab = parts[job.part].slab, p = slab.placement, perRow = perRow(slab), m = parts[job.part].product
                let width = 2 * p.outputs, first = 2 * p.colPairOffset
                hostArithmetic.arrayMultiplyAccumulates += copies * p.rows * width
                var saturated = 0
                for n in (b * copies * columns)..<((b + 1) * copies * columns) {
                    let c = n % columns - first
                    guard c >= 0 && c < width else { continue }
                    let a = abs(Double(currents[n]))
                    // A range flags what it clipped; without one, a full-scale code is all there is to go by.
                    if let flags = reply.saturated {
                        if flags[n] { saturated += 1 }
                    } else if a >= fullScale * (1 - 1e-6) {
                        saturated += 1
                    }
                    if recordsStatistics {
                        let steps = a / step
                        products[m].stats.conversions += 1
                        products[m].stats.currentSquaresInSteps += steps * steps
                        products[m].stats.largestCurrentSteps = max(products[m].stats.largestCurrentSteps, steps)
                    }
                }
                saturatedConversions += saturated
                products[m].stats.saturatedConversions += saturated
                if saturated > 0 && job.retries < settings.saturationRetries {
                    remeasuredVectors += 1
                    var again = job
                    again.retries += 1
                    if let r = job.range, r + 1 < ranges.count {
                        // The next range up holds what this one clipped; the inputs stay as they were.
                        again.range = r + 1
                    } else {
                        again.scale /= 2
                        again.ditherVolts /= 2
                    }
                    pending.append(again)
                    continue
                }
                guard job.scale > 0 else { continue }
                let x = products[m].inputs[job.vector], k = products[m].k
                // Per converted column: offset and gain (and the converter's code deviation when
                // measured); per output and copy: the pair's difference and the copies' sum; per
                // output: the scale to weight units and the addition into the product.
                hostArithmetic.readoutCorrections += copies * width * (slab.measured?.codeDeviationsAmperes == nil ? 2 : 3)
                hostArithmetic.outputScaling += p.outputs * (2 * copies + 2 + (perRow ? 1 : 0))
                if recordsStatistics {
                    var largest = 0.0
                    for i in p.inputs { largest = max(largest, abs(x[i])) }
                    products[m].voltsPerUnit[job.vector] = perRow ? job.scale / largest : job.scale
                    for i in 0..<p.rows where x[p.inputOffset + i] != 0 {
                        let f = perRow ? job.scale / fullScaleVolts : abs(x[p.inputOffset + i] * job.scale) / fullScaleVolts
                        products[m].stats.drivenRows += 1
                        products[m].stats.inputSquaresOfFullScale += f * f
                        products[m].stats.largestInputOfFullScale = max(products[m].stats.largestInputOfFullScale, f)
                    }
                }
                for j in 0..<p.outputs {
                    var difference = 0.0
                    for c in 0..<copies {
                        let plus = (b * copies + c) * columns + first + 2 * j
                        let readPlus = slab.measured?.linearised(Double(currents[plus]), step: step, tableStep: adcStepAmperes) ?? Double(currents[plus])
                        let readMinus = slab.measured?.linearised(Double(currents[plus + 1]), step: step, tableStep: adcStepAmperes) ?? Double(currents[plus + 1])
                        let iPlus = (readPlus - slab.offsets[2 * j]) / slab.gains[2 * j]
                        let iMinus = (readMinus - slab.offsets[2 * j + 1]) / slab.gains[2 * j + 1]
                        difference += iPlus - iMinus
                    }
                    let unit = perRow ? abs(x[p.inputOffset + j]) : 1
                    products[m].out[job.vector][j] += difference / Double(copies) / (k[j] * job.scale / slab.outputGain) * unit
                }
                if perRow { defects.correctRowScaled(&products[m].out[job.vector], matrix: p.matrix, input: x) }
            }
        }
    }

    public mutating func eventStates(layer: Int, timesSeconds: [Double], increments: [[Double]], tauSeconds: [Double]) throws -> [[Double]] {
        if let player = statePlayer {
            let block = model.layers[layer]
            guard let pairs = block.stmNodes, let sigma = block.stmSiemensPerUnit else {
                throw STMStateError.modelNotBound("block \(layer) lists no STM nodes and scales")
            }
            let states = try player.states(pairs: pairs, siemensPerUnit: sigma, timesSeconds: timesSeconds, increments: increments)
            if player.comparesStates {
                player.record(states: states, ideal: model.idealStates(layer: layer, timesSeconds: timesSeconds, increments: increments))
            }
            return states
        }
        hostArithmetic.stateDecays += timesSeconds.count * model.stateCount
        return model.idealStates(layer: layer, timesSeconds: timesSeconds, increments: increments)
    }

    /// With a ``statePlayer`` whose ``STMStatePlayer/nodeSets`` hold several sets, up to that
    /// many samples play at once, sample `i` of a group on set `i` (its states' siemens per unit
    /// scaled to the set's ceilings, see ``STMNodeSets/siemensPerUnitScales``).
    public mutating func eventStates(layer: Int, timesSeconds: [[Double]], increments: [[[Double]]], tauSeconds: [Double]) throws -> [[[Double]]] {
        guard let player = statePlayer, let sets = player.nodeSets, sets.count > 1 else {
            var states: [[[Double]]] = []
            for (t, v) in zip(timesSeconds, increments) {
                states.append(try eventStates(layer: layer, timesSeconds: t, increments: v, tauSeconds: tauSeconds))
            }
            return states
        }
        guard let sigma = model.layers[layer].stmSiemensPerUnit, sets.pairs.allSatisfy({ $0.indices.contains(layer) }) else {
            throw STMStateError.modelNotBound("block \(layer) lists no STM nodes and scales")
        }
        var states: [[[Double]]] = []
        var first = 0
        while first < timesSeconds.count {
            let group = first..<min(first + sets.count, timesSeconds.count)
            let blocks = group.map { s in
                STMSampleBlock(pairs: sets.pairs[s - first][layer], siemensPerUnit: zip(sigma, sets.siemensPerUnitScales[s - first][layer]).map { $0 * $1 },
                               timesSeconds: timesSeconds[s], increments: increments[s])
            }
            let played = try player.states(of: blocks)
            if player.comparesStates {
                for (s, x) in zip(group, played) {
                    player.record(states: x, ideal: model.idealStates(layer: layer, timesSeconds: timesSeconds[s], increments: increments[s]))
                }
            }
            states += played
            first = group.upperBound
        }
        return states
    }
}
