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
/// then spans a good part of the ADC's range in both signs and every conversion stays inside it. Each conversion's error (half an ADC step at most, plus read
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
            var fits = [LineFit](repeating: LineFit(), count: columns)
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
                for v in 0..<count {
                    for c in 0..<columns {
                        var expected = 0.0
                        for i in 0..<rows { expected += g[i * columns + c] * volts[v * rows + i] }
                        fits[c].add(x: expected, y: Double(amperes[v * columns + c]))
                    }
                }
                sent += count
            }
            // A gain or offset within three standard errors of none is left at none: correcting by
            // an estimate that cannot be told from zero would only add its own error.
            let gains = fits.map { abs($0.slope - 1) > 3 * $0.slopeError ? $0.slope : 1 }
            let offsets = fits.map { abs($0.intercept) > 3 * $0.interceptError ? $0.intercept : 0 }
            tiles.append(ReadoutCalibration.Tile(tile: info.index, gains: gains, offsetsAmperes: offsets,
                                                 residualAmperes: fits.map(\.residual)))
        }
        return ReadoutCalibration(instrument: instrument.name, boardSerial: identity.serialNumber,
                                  probeVectors: probeVectors, tiles: tiles)
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
