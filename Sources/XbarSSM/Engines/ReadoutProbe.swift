import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// Measures a ``ReadoutCalibration`` on a board: random probe vectors on every row of each
/// weight tile a model uses, their column currents read through MVM requests, and per column a
/// straight-line fit of the measured current against the current the host expects from the
/// conductances it believes the tile holds.
///
/// Probe voltages are whole DAC levels (so the host knows exactly what the rows see), half a
/// level common to the probe's rows and half drawn per row, up to the largest amplitude that
/// keeps every expected column current within `adcHeadroom` of the ADC's full scale: the fit
/// then spans a good part of the ADC's range in both signs and every conversion stays inside it.
///
/// On a board with sense ranges, zero-input conversions in a narrow one then split the
/// converter's bow from the offsets (``separatingConverterBow(_:rows:columns:on:instrument:wideStepAmperes:codes:)``).
///
/// The fit is `I_measured = gain_c * sum_i f_i * G_ic * V_i + offset_c`: besides the columns,
/// every row has a factor `f_i`, because a row's line drop grows with the current the row
/// carries (its total conductance), which no column gain can take up. Columns and rows are
/// fitted in turn (three rounds of linear least squares; the rows' normal equations come from
/// sums over the probes, so a round costs about what the probes do). Each conversion's error (half an ADC step at most, plus read
/// noise) varies from probe to probe, so over `probeVectors` probes a gain comes out to about
/// `step / (sqrt(12 * probes) * rms current)` and an offset to about `step / sqrt(12 * probes)`.
public struct ReadoutProbe {
    public var probeVectors: Int
    public var adcHeadroom: Double
    public var seed: UInt64

    public init(probeVectors: Int = 1024, adcHeadroom: Double = 0.8, seed: UInt64 = 0x0CA1_1B2A) {
        precondition(probeVectors >= 4, "a straight-line fit needs a few probes")
        precondition(adcHeadroom > 0 && adcHeadroom <= 1, "ADC headroom is a fraction of full scale in (0, 1]")
        self.probeVectors = probeVectors
        self.adcHeadroom = adcHeadroom
        self.seed = seed
    }

    /// Measures the columns of every tile the map places a matrix on.
    ///
    /// - Parameter believedSiemens: the conductances the host believes each tile holds
    ///   (row-major; a write-verify job's last verify read); tiles missing from it are taken
    ///   to hold the map's targets.
    /// - Throws: `BoardError` when IDENTIFY or an MVM fails.
    public func measure(on board: any Board, map: WeightMap, instrument: Instrument,
                        believedSiemens: [UInt8: [Double]] = [:]) throws -> ReadoutCalibration {
        let identity = try board.identify()
        let dacStep = Double(instrument.dac.fullScaleVolts) / Double((1 << (Int(instrument.dac.bits) - 1)) - 1)
        let largestVolts = min(Double(instrument.dac.fullScaleVolts), Double(instrument.limits.maxMVMVolts))
        let adcBudget = adcHeadroom * Double(instrument.adc.mvmFullScaleAmperes)
        var random = Xoshiro256StarStar(seed: seed)
        var tiles: [ReadoutCalibration.Tile] = []
        for target in map.tiles where map.placements.contains(where: { $0.tile == Int(target.tile.index) }) {
            let info = target.tile
            let rows = Int(info.rows), columns = Int(info.columns)
            let g = believedSiemens[info.index].flatMap { $0.count == target.siemens.count ? $0 : nil } ?? target.siemens
            var columnSums = [Double](repeating: 0, count: columns)
            for i in 0..<rows { for c in 0..<columns { columnSums[c] += g[i * columns + c] } }
            let amplitude = min(largestVolts, adcBudget / max(columnSums.max() ?? 0, .leastNormalMagnitude))
            let levels = max(1, Int((amplitude / dacStep).rounded(.down)))
            let perRequest = ChipInLoopBackend.vectorsPerRequest(rows: rows, columns: columns,
                                                                 maxPayloadBytes: Int(identity.maxPayloadBytes))
            var probeVolts: [Double] = []
            var probeAmperes: [Double] = []
            var sent = 0
            while sent < probeVectors {
                let count = min(perRequest, probeVectors - sent)
                var volts = [Double](repeating: 0, count: count * rows)
                for v in 0..<count {
                    // Half common level, half row-to-row spread: column currents then span most of
                    // the planned range in both signs, instead of cancelling to a few steps.
                    let common = 2 * random.nextOpenUnit() - 1
                    for i in 0..<rows {
                        let u = 0.5 * common + 0.5 * (2 * random.nextOpenUnit() - 1)
                        volts[v * rows + i] = (u * Double(levels)).rounded() * dacStep
                    }
                }
                let amperes = try board.mvm(MatrixVectorProduct(tile: info.index, encoding: .voltage, readVolts: 0,
                                                                inputLength: UInt16(rows), inputs: volts.map { Float($0) })).amperes
                probeVolts += volts
                probeAmperes += amperes.map(Double.init)
                sent += count
            }
            let codes = (1 << (Int(instrument.adc.bits) - 1)) - 1
            let wide = Double(instrument.adc.mvmFullScaleAmperes) / Double(codes)
            let fitted = Self.fit(rows: rows, columns: columns, siemens: g, volts: probeVolts, amperes: probeAmperes, tile: info.index,
                                  converterStep: wide)
            tiles.append(try separatingConverterBow(fitted, rows: rows, columns: columns, on: board, instrument: instrument,
                                                    wideStepAmperes: wide, codes: codes))
        }
        return ReadoutCalibration(instrument: instrument.name, boardSerial: identity.serialNumber,
                                  probeVectors: probeVectors, tiles: tiles)
    }
}

extension ReadoutProbe {
    /// Column gains and offsets and row factors from probes (row-major volts per probe, column
    /// currents per probe) against believed conductances `siemens` (row-major).
    static func fit(rows: Int, columns: Int, siemens g: [Double], volts: [Double], amperes measured: [Double], tile: UInt8,
                    converterStep step: Double) -> ReadoutCalibration.Tile {
        let probes = measured.count / columns
        var amperes = measured
        var f = [Double](repeating: 1, count: rows)
        // Sum over probes of v v^T, once.
        var vv = [Double](repeating: 0, count: rows * rows)
        for k in 0..<probes {
            for i in 0..<rows {
                let vi = volts[k * rows + i]
                guard vi != 0 else { continue }
                for l in 0..<rows { vv[i * rows + l] += vi * volts[k * rows + l] }
            }
        }
        var fits = [LineFit](repeating: LineFit(), count: columns)
        func columnsRound() {
            fits = [LineFit](repeating: LineFit(), count: columns)
            var expected = [Double](repeating: 0, count: columns)
            for k in 0..<probes {
                for c in 0..<columns { expected[c] = 0 }
                for i in 0..<rows {
                    let v = f[i] * volts[k * rows + i]
                    guard v != 0 else { continue }
                    for c in 0..<columns { expected[c] += g[i * columns + c] * v }
                }
                for c in 0..<columns { fits[c].add(x: expected[c], y: amperes[k * columns + c]) }
            }
        }
        columnsRound()
        for _ in 0..<3 {
            // Rows: minimise sum_k,c (y - o_c - g_c sum_i f_i G_ic v_ki)^2 over f: normal
            // equations A f = b with A_il = vv_il * sum_c g_c^2 G_ic G_lc and
            // b_i = sum_c g_c G_ic sum_k v_ki (y_kc - o_c).
            let gains = fits.map(\.slope), offsets = fits.map(\.intercept)
            var vy = [Double](repeating: 0, count: rows * columns)
            for k in 0..<probes {
                for i in 0..<rows {
                    let v = volts[k * rows + i]
                    guard v != 0 else { continue }
                    for c in 0..<columns { vy[i * columns + c] += v * (amperes[k * columns + c] - offsets[c]) }
                }
            }
            var a = [Double](repeating: 0, count: rows * rows), b = [Double](repeating: 0, count: rows)
            for i in 0..<rows {
                for c in 0..<columns { b[i] += gains[c] * g[i * columns + c] * vy[i * columns + c] }
                for l in 0...i {
                    var s = 0.0
                    for c in 0..<columns { s += gains[c] * gains[c] * g[i * columns + c] * g[l * columns + c] }
                    a[i * rows + l] = vv[i * rows + l] * s
                    a[l * rows + i] = a[i * rows + l]
                }
            }
            guard let factor = CholeskyFactor(a, size: rows) else { break }
            var solved = factor.solve(b)
            // A factor known to worse than 1 %, or beyond what a line could do (a row the probes
            // hardly drove, or whose cells carry next to nothing), is not known: such rows take
            // the median of the known ones, so that noise does not scale any row down.
            // (On a board without line drops every row ends at the median, and no row is scaled.)
            let variance = fits.map { $0.residual * $0.residual }.reduce(0, +) / Double(columns)
            let inverse = factor.inverse()
            let known = (0..<rows).filter {
                solved[$0].isFinite && solved[$0] > 0.5 && solved[$0] < 1.5 && (inverse[$0 * rows + $0] * variance).squareRoot() < 0.01
            }
            let typical = known.isEmpty ? 1 : known.map { solved[$0] }.sorted()[known.count / 2]
            // A known factor within three standard errors of the typical one is taken to be it.
            for i in 0..<rows where !known.contains(i) || abs(solved[i] - typical) <= 3 * (inverse[i * rows + i] * variance).squareRoot() {
                solved[i] = typical
            }
            let mean = solved.reduce(0, +) / Double(rows)
            solved = solved.map { $0 / mean }
            f = solved
            columnsRound()
        }
        // The converter's deviation per code: the mean residual of the conversions that read that
        // code, over codes read at least 30 times (its error then a fifth of the residual or
        // less); then the columns once more on the conversions with it taken off. Products of a
        // few ADC steps (a 32-row product on usb-4x64 draws one to four) err by a code's
        // deviation in proportion: a quarter of a step is 6 to 25 %.
        var codeSum: [Int: Double] = [:], codeSquares: [Int: Double] = [:], codeCount: [Int: Int] = [:]
        for k in 0..<probes {
            for c in 0..<columns {
                let y = amperes[k * columns + c]
                var expected = 0.0
                for i in 0..<rows { expected += f[i] * g[i * columns + c] * volts[k * rows + i] }
                let code = Int((y / step).rounded())
                let r = y - (fits[c].slope * expected + fits[c].intercept)
                codeSum[code, default: 0] += r
                codeSquares[code, default: 0] += r * r
                codeCount[code, default: 0] += 1
            }
        }
        let reach = max(codeSum.keys.map(abs).max() ?? 0, 1)
        var deviations = [Double](repeating: 0, count: 2 * reach + 1)
        for (code, sum) in codeSum where codeCount[code]! >= 30 {
            // As for gains and offsets: a deviation within three standard errors of none is none.
            let n = Double(codeCount[code]!), mean = sum / n
            let spread = max(codeSquares[code]! / n - mean * mean, 0).squareRoot()
            if abs(mean) > 3 * spread / n.squareRoot() { deviations[code + reach] = mean }
        }
        let table = ReadoutCalibration.Tile(tile: tile, gains: [], offsetsAmperes: [], residualAmperes: [], codeDeviationsAmperes: deviations)
        amperes = measured.map { table.linearised($0, step: step) }
        columnsRound()
        // Rows are sent scaled by lowest / f_i <= 1, so every row then loses what the lossiest
        // does, and the gains take that common factor.
        let lowest = f.min() ?? 1
        let rowScales = f.map { lowest / $0 }
        // A gain or offset within three standard errors of none is left at none: correcting by
        // an estimate that cannot be told from zero would only add its own error.
        let gains = fits.map { abs($0.slope * lowest - 1) > 3 * $0.slopeError * lowest ? $0.slope * lowest : 1 }
        let offsets = fits.map { abs($0.intercept) > 3 * $0.interceptError ? $0.intercept : 0 }
        return ReadoutCalibration.Tile(tile: tile, gains: gains, offsetsAmperes: offsets,
                                       residualAmperes: fits.map(\.residual), rowScales: rowScales, codeDeviationsAmperes: deviations)
    }
}

/// Least-squares straight line `y = slope x + intercept` from running sums.
struct LineFit {
    private var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0

    mutating func add(x: Double, y: Double) {
        n += 1
        sx += x
        sy += y
        sxx += x * x
        sxy += x * y
        syy += y * y
    }

    var slope: Double {
        let d = n * sxx - sx * sx
        return d > 0 ? (n * sxy - sx * sy) / d : 1
    }

    var intercept: Double { n > 0 ? (sy - slope * sx) / n : 0 }

    /// Root-mean-square residual of the fitted line.
    var residual: Double {
        guard n > 2 else { return 0 }
        let a = slope, b = intercept
        // sum (y - a x - b)^2 expanded over the running sums.
        let r = syy - 2 * a * sxy - 2 * b * sy + a * a * sxx + 2 * a * b * sx + n * b * b
        return (max(r, 0) / n).squareRoot()
    }

    /// Standard errors of the slope and the intercept, from the residual.
    var slopeError: Double {
        let spread = sxx - sx * sx / n
        return n > 2 && spread > 0 ? residual * (n / (n - 2)).squareRoot() / spread.squareRoot() : .infinity
    }

    var interceptError: Double {
        let spread = sxx - sx * sx / n
        return n > 2 && spread > 0 ? residual * (n / (n - 2)).squareRoot() * (sxx / n / spread).squareRoot() : .infinity
    }
}
