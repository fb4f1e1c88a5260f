import Foundation
import XbarDevice
import XbarInstrument
import XbarWire

/// Fits the array periphery to a ``PeripheryMeasurement``.
///
/// 1. Converter bow (one per board, see ``XbarDevice/ArrayPeripheryParameters/adcBowLSB``): every cell was read at several voltages, and its current is
///    proportional to the voltage (its line drop and its column's sneak current are too), so
///    what is not proportional, shared by all cells, is the bow: one linear least-squares fit
///    with a free slope per cell. The slopes are the cells' apparent conductances.
/// 2. For trial line resistances (and, on passive tiles, the half-select fraction), the
///    apparent conductances are turned into true ones (undoing each cell's series line drop
///    and its column's sneak current, the model of ``XbarDevice/ArrayPeripheryParameters``),
///    the probes' column currents predicted with ``XbarDevice/LineResistance``, and every
///    column's gain and offset, with the MVM converter's bow shared by all columns, fitted by
///    linear least squares. Levenberg-Marquardt moves the trial values to the least residual
///    (variable projection); their uncertainties come from its covariance.
///
/// Rows and columns are taken to have the same line resistance outside the array: a column
/// line's resistance alone scales its column's current exactly as its amplifier's gain does,
/// so only the rows' drops (rows of different currents) and the position dependence along the
/// lines tell the resistances apart from the gains.
struct PeripheryAnalysis {
    var parameters: ArrayPeripheryParameters
    var uncertainties: [String: Double] = [:]
    var notMeasured: [String] = []
    var heldOutRelativeRMS: Double
    var heldOutIdealRelativeRMS: Double
    var heldOutProbes: Int
    var fitResidualRelativeRMS: Double

    init(_ m: PeripheryMeasurement, plan: CalibrationPlan.Periphery, instrument: Instrument) throws {
        guard let info = instrument.tile(m.tile) else {
            throw CalibrationError.tooFewDevices(kind: "periphery tiles", fitted: 0, needed: 1)
        }
        let rows = m.rows, columns = m.columns, n = rows * columns
        let readFullScale = Double(instrument.adc.readFullScaleAmperes)
        let readLSB = readFullScale / Double((1 << Int(instrument.adc.bits)) - 1)
        let mvmFullScale = Double(instrument.adc.mvmFullScaleAmperes)
        let mvmLSB = mvmFullScale / Double((1 << (Int(instrument.adc.bits) - 1)) - 1)

        // 1. Read bow and apparent conductances.
        func readBow(_ amperes: Double) -> Double {
            let u = amperes / readFullScale
            return readLSB * 4 * u * (1 - u)
        }
        var numerator = 0.0, denominator = 0.0
        var usable = [[Int]](repeating: [], count: n)
        for c in 0..<n {
            usable[c] = plan.readVoltages.indices.filter {
                let a = m.readAmperes[$0][c]
                return a > 0 && a < 0.98 * readFullScale
            }
            guard usable[c].count >= 2 else { continue }
            let v = usable[c].map { plan.readVoltages[$0] }, y = usable[c].map { m.readAmperes[$0][c] }
            let h = y.map(readBow)
            let vv = v.reduce(0) { $0 + $1 * $1 }
            let vh = zip(v, h).reduce(0) { $0 + $1.0 * $1.1 }
            let hPerp = zip(h, v).map { $0.0 - $0.1 * vh / vv }
            numerator += zip(hPerp, y).reduce(0) { $0 + $1.0 * $1.1 }
            denominator += hPerp.reduce(0) { $0 + $1 * $1 }
        }
        let bow = denominator > 0 ? numerator / denominator : 0
        var apparent = [Double](repeating: 0, count: n)
        var missing = 0
        for c in 0..<n {
            guard !usable[c].isEmpty else { missing += 1; continue }
            var vy = 0.0, vv = 0.0
            for k in usable[c] {
                let v = plan.readVoltages[k]
                vy += v * (m.readAmperes[k][c] - bow * readBow(m.readAmperes[k][c]))
                vv += v * v
            }
            apparent[c] = vy / vv
        }
        guard missing * 20 <= n else {
            throw CalibrationError.tooFewDevices(kind: "cells read within the read converter's range for the periphery", fitted: n - missing, needed: n * 19 / 20)
        }
        var bowResiduals = 0.0, bowCount = 0
        for c in 0..<n where usable[c].count >= 2 {
            for k in usable[c] {
                let y = m.readAmperes[k][c]
                let r = y - apparent[c] * plan.readVoltages[k] - bow * readBow(y)
                bowResiduals += r * r
                bowCount += 1
            }
        }
        let readBowSigma = denominator > 0 && bowCount > n ? (bowResiduals / Double(bowCount - n - 1) / denominator).squareRoot() : .infinity

        // 2. Line resistance (and sneak fraction) by variable projection.
        let passive = info.kind == .nonVolatilePassive && instrument.defaultBiasScheme != .grounded
        let fitSneak = passive
        let probes = m.probeAmperes.count / columns
        let training = (0..<probes).filter { !plan.isHeldOut($0) }
        let held = (0..<probes).filter { plan.isHeldOut($0) }
        // Saturated conversions say nothing about their current.
        let valid = m.probeAmperes.map { abs($0) < 0.99 * mvmFullScale }
        func mvmBow(_ y: Double) -> Double {
            let x = y / mvmFullScale
            return mvmLSB * (1 - x * x)
        }
        func periphery(_ p: [Double]) -> ArrayPeripheryParameters {
            var a = ArrayPeripheryParameters.ideal
            a.wireOhmsPerCell = p[0]
            a.lineOhms = p[1]
            a.halfSelectCurrentFraction = fitSneak ? p[2] : 0
            return a
        }
        func sneakRatio(_ a: ArrayPeripheryParameters) -> Double {
            switch instrument.defaultBiasScheme {
            case .halfVoltage: return a.halfSelectCurrentFraction
            case .thirdVoltage: return a.halfSelectRatio(atFraction: 1.0 / 3)
            case .grounded: return 0
            }
        }
        /// True conductances from the apparent ones.
        func conductances(_ a: ArrayPeripheryParameters) -> [Double] {
            let lines = LineResistance(wireOhmsPerCell: a.wireOhmsPerCell, lineOhms: a.lineOhms)
            let s = passive ? sneakRatio(a) : 0
            var g = apparent
            for _ in 0..<3 {
                for j in 0..<columns {
                    // apparent = G / (1 + G Rs) + s (S - G): with the line drop taken from the
                    // last estimate, linear in the column's conductances.
                    var drop = [Double](repeating: 0, count: rows)
                    var shiftedSum = 0.0
                    for i in 0..<rows {
                        let k = i * columns + j, rs = lines.seriesOhms(row: i, column: j, rows: rows)
                        drop[i] = g[k] - g[k] / (1 + g[k] * rs)
                        shiftedSum += apparent[k] + drop[i]
                    }
                    let total = shiftedSum / (1 + s * Double(rows - 1))
                    for i in 0..<rows {
                        let k = i * columns + j
                        g[k] = max((apparent[k] + drop[i] - s * total) / (1 - s), 0)
                    }
                }
            }
            return g
        }
        /// Predicted ideal-amplifier column currents of the probes in `set`, row after row of `set`.
        func products(_ g: [Double], _ set: [Int]) -> [Double] {
            var out = [Double](repeating: 0, count: set.count * columns)
            for (q, k) in set.enumerated() {
                for i in 0..<rows {
                    let v = m.probeVolts[k * rows + i]
                    guard v != 0 else { continue }
                    for j in 0..<columns { out[q * columns + j] += g[i * columns + j] * v }
                }
            }
            return out
        }
        struct Readout {
            var gains: [Double]
            var offsets: [Double]
            var bow: Double
            var residuals: [Double]
            var gainErrors: [Double]
            var offsetErrors: [Double]
        }
        /// Column gains and offsets with one shared MVM bow, by linear least squares.
        func readout(_ x: [Double]) -> Readout {
            var sums = [(n: Double, x: Double, xx: Double)](repeating: (0, 0, 0), count: columns)
            for (q, k) in training.enumerated() {
                for j in 0..<columns where valid[k * columns + j] {
                    let xv = x[q * columns + j]
                    sums[j].n += 1; sums[j].x += xv; sums[j].xx += xv * xv
                }
            }
            // Project y and the bow term off span{x, 1} per column.
            func perp(_ f: (Int, Int) -> Double) -> [Double] {
                var fx = [Double](repeating: 0, count: columns), f1 = fx
                for (q, k) in training.enumerated() {
                    for j in 0..<columns where valid[k * columns + j] {
                        let value = f(q, j)
                        fx[j] += value * x[q * columns + j]
                        f1[j] += value
                    }
                }
                var out = [Double](repeating: 0, count: training.count * columns)
                for j in 0..<columns {
                    let s = sums[j], det = s.n * s.xx - s.x * s.x
                    guard det > 0 else { continue }
                    let slope = (s.n * fx[j] - s.x * f1[j]) / det, intercept = (f1[j] - slope * s.x) / s.n
                    for (q, k) in training.enumerated() where valid[k * columns + j] {
                        out[q * columns + j] = f(q, j) - slope * x[q * columns + j] - intercept
                    }
                }
                return out
            }
            let y = { (q: Int, j: Int) in m.probeAmperes[training[q] * columns + j] }
            // The MVM converter's bow is the read converter's (one converter design): fitted on
            // MVMs it would rest on the curvature of a range the probes only partly span, and
            // take up the per-code deviations of the codes they use.
            let b = bow
            let residuals = perp { y($0, $1) - b * mvmBow(y($0, $1)) }
            var gains = [Double](repeating: 1, count: columns), offsets = [Double](repeating: 0, count: columns)
            var gainErrors = gains, offsetErrors = offsets
            for j in 0..<columns {
                var xy = 0.0, y1 = 0.0, rr = 0.0
                for (q, k) in training.enumerated() where valid[k * columns + j] {
                    let corrected = y(q, j) - b * mvmBow(y(q, j))
                    xy += corrected * x[q * columns + j]
                    y1 += corrected
                    rr += residuals[q * columns + j] * residuals[q * columns + j]
                }
                let s = sums[j], det = s.n * s.xx - s.x * s.x
                guard det > 0, s.n > 2 else { continue }
                gains[j] = (s.n * xy - s.x * y1) / det
                offsets[j] = (y1 - gains[j] * s.x) / s.n
                let variance = rr / (s.n - 2)
                gainErrors[j] = (variance * s.n / det).squareRoot()
                offsetErrors[j] = (variance * s.xx / det).squareRoot()
            }
            return Readout(gains: gains, offsets: offsets, bow: b, residuals: residuals, gainErrors: gainErrors, offsetErrors: offsetErrors)
        }
        func effective(_ p: [Double]) -> [Double] {
            let a = periphery(p)
            return LineResistance(wireOhmsPerCell: a.wireOhmsPerCell, lineOhms: a.lineOhms)
                .effectiveConductances(conductances(a), rows: rows, columns: columns)
        }

        let defaults = instrument.periphery
        var initial = [max(defaults.wireOhmsPerCell, 0.5), max(defaults.lineOhms, 10)]
        var bounds: [ParameterBound] = [.positive, .positive]
        if fitSneak {
            initial.append(min(max(defaults.halfSelectCurrentFraction, 0.05), 0.45))
            bounds.append(.interval(lower: 0, upper: 0.5))
        }
        let fit = try LevenbergMarquardt(maxIterations: 60).fit(
            initial: initial, bounds: bounds, residualCount: training.count * columns,
            residuals: { p in readout(products(effective(p), training)).residuals.map { $0 / mvmLSB } })
        let p = fit.parameters
        let x = products(effective(p), training)
        let r = readout(x)

        var result = instrument.periphery
        result.wireOhmsPerCell = p[0]
        result.lineOhms = p[1]
        if fitSneak { result.halfSelectCurrentFraction = p[2] }
        result.adcBowLSB = DistributedParameter(r.bow)
        let gainMoments = SampleMoments(r.gains), offsetMoments = SampleMoments(r.offsets)
        result.senseGainSpread = gainMoments.standardDeviation
        result.senseOffsetSpread = offsetMoments.standardDeviation / mvmFullScale
        result.measuredColumns = [MeasuredColumns(tile: m.tile, gains: r.gains, offsetsAmperes: r.offsets)]
        parameters = result

        uncertainties["periphery.wireOhmsPerCell"] = fit.uncertainties[0]
        uncertainties["periphery.lineOhms"] = fit.uncertainties[1]
        if fitSneak { uncertainties["periphery.halfSelectCurrentFraction"] = fit.uncertainties[2] }
        uncertainties["periphery.adcBowLSB"] = readBowSigma
        uncertainties["periphery.columnGain"] = SampleMoments(r.gainErrors).mean
        uncertainties["periphery.columnOffsetAmperes"] = SampleMoments(r.offsetErrors).mean
        notMeasured.append("periphery.adcCodeNoiseLSB")
        if !fitSneak { notMeasured.append("periphery.halfSelectCurrentFraction") }

        // Held-out probes: predicted with everything fitted, and with the reads alone (an ideal
        // periphery), relative to the held-out currents' RMS.
        let heldX = products(effective(p), held)
        let ideal = products(apparent, held)
        var error = 0.0, idealError = 0.0, signal = 0.0
        for (q, k) in held.enumerated() {
            for j in 0..<columns where valid[k * columns + j] {
                let y = m.probeAmperes[k * columns + j]
                let linear = r.gains[j] * heldX[q * columns + j] + r.offsets[j]
                let predicted = linear + r.bow * mvmBow(linear)
                error += (predicted - y) * (predicted - y)
                idealError += (ideal[q * columns + j] - y) * (ideal[q * columns + j] - y)
                signal += y * y
            }
        }
        heldOutProbes = held.count
        heldOutRelativeRMS = signal > 0 ? (error / signal).squareRoot() : 0
        heldOutIdealRelativeRMS = signal > 0 ? (idealError / signal).squareRoot() : 0
        var fitted = 0.0, fittedSignal = 0.0
        for (q, k) in training.enumerated() {
            for j in 0..<columns where valid[k * columns + j] {
                fitted += r.residuals[q * columns + j] * r.residuals[q * columns + j]
                fittedSignal += m.probeAmperes[k * columns + j] * m.probeAmperes[k * columns + j]
            }
        }
        fitResidualRelativeRMS = fittedSignal > 0 ? (fitted / fittedSignal).squareRoot() : 0
    }
}
