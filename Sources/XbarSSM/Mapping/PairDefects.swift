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
    }

    /// Defects by matrix name.
    public let byMatrix: [String: [Defect]]
    public let thresholdSiemens: Double

    public var count: Int { byMatrix.values.reduce(0) { $0 + $1.count } }

    /// No defects: the products are used as the tile gives them.
    public init() {
        byMatrix = [:]
        thresholdSiemens = .infinity
    }

    /// Finds the pairs whose measured `G+ - G-` differs from the target's by more than
    /// `thresholdSiemens`.
    ///
    /// - Parameter measured: verified conductances per tile index, row-major, siemens; tiles
    ///   missing from it are taken as on target.
    public init(map: WeightMap, measured: [UInt8: [Double]], thresholdSiemens: Double) {
        var out: [String: [Defect]] = [:]
        for p in map.placements {
            guard let t = map.tiles.first(where: { Int($0.tile.index) == p.tile }),
                  let g = measured[t.tile.index], g.count == t.siemens.count,
                  let k = map.siemensPerUnitWeight[p.matrix] else { continue }
            let columns = Int(t.tile.columns)
            for i in 0..<p.rows {
                for j in 0..<p.outputs {
                    let plus = (p.rowOffset + i) * columns + 2 * (p.colPairOffset + j)
                    let error = (g[plus] - t.siemens[plus]) - (g[plus + 1] - t.siemens[plus + 1])
                    if abs(error) > thresholdSiemens {
                        out[p.matrix, default: []].append(Defect(input: p.inputOffset + i, output: j, weightError: error / k[j]))
                    }
                }
            }
        }
        byMatrix = out
        self.thresholdSiemens = thresholdSiemens
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
