/// Differential pairs whose programmed conductances missed their targets by more than a
/// threshold (stuck cells, cells out of pulses), with the weight error each adds, so that the
/// host can take it back out of the tile's products.
///
/// A stuck-at-maximum cell in a pair adds about `1.5 max|W|` to one weight: a few such cells
/// per matrix (0.5 % of cells are stuck on `usb-4x64`) wreck the outputs they sit on. The
/// correction is sparse (only pairs beyond the threshold), computed from the conductances the
/// write-verify job verified, and applied digitally: `y_j -= dw_ij x_i`.
public struct PairDefects: Sendable {
    public struct Defect: Hashable, Sendable {
        public var input: Int
        public var output: Int
        /// Measured minus intended weight.
        public var weightError: Double
        /// Where the pair sits: its tile, and its `G+` cell (row-major index; `G-` is the next).
        public var tile: UInt8
        public var plusCell: Int
    }

    /// Defects by matrix name.
    public let byMatrix: [String: [Defect]]
    public let thresholdSiemens: Double
    /// Per output of a diagonal matrix (by name): the pair's target `G+ - G-` over the one it
    /// was read at. Its row is driven that much harder (see ``ChipInLoopBackend``), so that the
    /// cell's miss, relaxation included, is made good on the array rather than on the host: a
    /// decay's gain error `e` would otherwise grow its state `1 / (1 - a)` times (tenfold at
    /// `a = 0.9`). Its pairs are then no defects.
    public let diagonalTrims: [String: [Double]]

    public var count: Int { byMatrix.values.reduce(0) { $0 + $1.count } }

    /// No defects: the products are used as the tile gives them.
    public init() {
        byMatrix = [:]
        thresholdSiemens = .infinity
        diagonalTrims = [:]
    }

    /// Finds the pairs whose measured `G+ - G-` differs from the target's by more than
    /// `thresholdSiemens`.
    ///
    /// - Parameters:
    ///   - measured: verified conductances per tile index, row-major, siemens; tiles missing
    ///     from it are taken as on target.
    ///   - diagonalReads: the tiles as read back (row-major, siemens), from which each pair of a
    ///     diagonal matrix of `model` gets its trim; none without.
    public init(map: WeightMap, measured: [UInt8: [Double]], thresholdSiemens: Double,
                diagonalReads: [UInt8: [Double]] = [:], model: SSMModel? = nil) {
        var out: [String: [Defect]] = [:]
        var trims: [String: [Double]] = [:]
        for p in map.placements {
            guard let t = map.tiles.first(where: { Int($0.tile.index) == p.tile }),
                  let g = measured[t.tile.index], g.count == t.siemens.count,
                  let k = map.siemensPerUnitWeight[p.matrix] else { continue }
            let columns = Int(t.tile.columns)
            if let model, DiagonalFloor.isDiagonal(p, model: model), let read = diagonalReads[t.tile.index], read.count == t.siemens.count {
                let trim = (0..<p.outputs).map { j -> Double in
                    let plus = (p.rowOffset + j) * columns + 2 * (p.colPairOffset + j)
                    let target = t.siemens[plus] - t.siemens[plus + 1], got = read[plus] - read[plus + 1]
                    // A pair read at under half its target (stuck low, or a zero weight) is left as it is.
                    return abs(target) > 0 && got / target > 0.5 ? target / got : 1
                }
                trims[p.matrix] = trim
            }
            for i in 0..<p.rows {
                for j in 0..<p.outputs {
                    if i == j, let trim = trims[p.matrix], trim[j] != 1 { continue }
                    let plus = (p.rowOffset + i) * columns + 2 * (p.colPairOffset + j)
                    let error = (g[plus] - t.siemens[plus]) - (g[plus + 1] - t.siemens[plus + 1])
                    if abs(error) > thresholdSiemens {
                        out[p.matrix, default: []].append(Defect(input: p.inputOffset + i, output: j, weightError: error / k[j],
                                                                        tile: t.tile.index, plusCell: plus))
                    }
                }
            }
        }
        byMatrix = out
        self.thresholdSiemens = thresholdSiemens
        diagonalTrims = trims
    }

    /// Both cells of every defective pair, per tile index (row-major indices, ascending).
    public var cells: [UInt8: [Int]] {
        var out: [UInt8: Set<Int>] = [:]
        for d in byMatrix.values.joined() { out[d.tile, default: []].formUnion([d.plusCell, d.plusCell + 1]) }
        return out.mapValues { $0.sorted() }
    }

    /// Removes the defects' contribution from products of `matrix` with inputs `x`.
    func correct(_ products: inout [[Double]], matrix: String, inputs x: [[Double]]) {
        guard let list = byMatrix[matrix] else { return }
        for v in 0..<products.count {
            for d in list { products[v][d.output] -= d.weightError * x[v][d.input] }
        }
    }

    /// Removes the defects' contribution from one product of a diagonal `matrix` whose rows
    /// were each driven at their own full scale: row `i` carried `sign(x_i)`, and output `j`
    /// was rescaled by `|x_j|`, so a defect at `(i, j)` added `dw sign(x_i) |x_j|`.
    func correctRowScaled(_ product: inout [Double], matrix: String, input x: [Double]) {
        guard let list = byMatrix[matrix] else { return }
        for d in list where x[d.input] != 0 {
            product[d.output] -= d.weightError * (x[d.input] > 0 ? 1 : -1) * abs(x[d.output])
        }
    }
}
