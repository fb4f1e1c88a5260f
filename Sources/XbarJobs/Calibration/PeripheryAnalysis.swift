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
/// Both patterns are fitted at once, with one gain and offset per column: a column line's
/// resistance scales its column's current as its amplifier's gain does, but by an amount that
/// changes with the column's total conductance, which the second pattern changes while the
/// gain stays. Rows and columns are taken to have the same line resistance outside the array.
struct PeripheryAnalysis {
    var parameters: ArrayPeripheryParameters
    var uncertainties: [String: Double] = [:]
    var notMeasured: [String] = []
    var heldOutRelativeRMS: Double
    var heldOutIdealRelativeRMS: Double
    var heldOutProbes: Int
    var fitResidualRelativeRMS: Double

    init(_ m: PeripheryMeasurement, plan: CalibrationPlan.Periphery, instrument: Instrument) throws {
        guard let info = instrument.tile(m.tile), !m.patterns.isEmpty else {
            throw CalibrationError.tooFewDevices(kind: "periphery tiles", fitted: 0, needed: 1)
        }
        let rows = m.rows, columns = m.columns, n = rows * columns
        let readFullScale = Double(instrument.adc.readFullScaleAmperes)
        let readLSB = readFullScale / Double((1 << Int(instrument.adc.bits)) - 1)
        let mvmFullScale = Double(instrument.adc.mvmFullScaleAmperes)
        let mvmLSB = mvmFullScale / Double((1 << (Int(instrument.adc.bits) - 1)) - 1)
        let patternVolts = m.patterns.indices.map { m.readVolts(pattern: $0) }

        // 1. Bow and apparent conductances, from both patterns' reads.
        func readBow(_ amperes: Double) -> Double {
            let u = amperes / readFullScale
            return readLSB * 4 * u * (1 - u)
        }
        func usable(_ reads: [[Double]], _ c: Int) -> [Int] {
            reads.indices.filter { reads[$0][c] > 0 && reads[$0][c] < 0.98 * readFullScale }
        }
        var numerator = 0.0, denominator = 0.0
        for (t, pattern) in m.patterns.enumerated() {
            let voltages = patternVolts[t]
            for c in 0..<n {
                let use = usable(pattern.readAmperes, c)
                guard use.count >= 2 else { continue }
                let v = use.map { voltages[$0] }, y = use.map { pattern.readAmperes[$0][c] }
                let h = y.map(readBow)
                let vv = v.reduce(0) { $0 + $1 * $1 }
                let vh = zip(v, h).reduce(0) { $0 + $1.0 * $1.1 }
                let hPerp = zip(h, v).map { $0.0 - $0.1 * vh / vv }
                numerator += zip(hPerp, y).reduce(0) { $0 + $1.0 * $1.1 }
                denominator += hPerp.reduce(0) { $0 + $1 * $1 }
            }
        }
        let bow = denominator > 0 ? numerator / denominator : 0
        // The read converter's deviation per code: the mean residual of the readings at that
        // code from their cells' proportional fits (codes read 30 times or more), taken off
        // every reading; each code's own error otherwise leans on the conductances it reads.
        var reads = m.patterns.map(\.readAmperes)
        var codeSum: [Int: Double] = [:], codeCount: [Int: Int] = [:]
        for (t, pattern) in reads.enumerated() {
            let voltages = patternVolts[t]
            for c in 0..<n {
                let use = usable(pattern, c)
                guard use.count >= 2 else { continue }
                var vy = 0.0, vv = 0.0
                for k in use {
                    vy += voltages[k] * (pattern[k][c] - bow * readBow(pattern[k][c]))
                    vv += voltages[k] * voltages[k]
                }
                for k in use {
                    let y = pattern[k][c]
                    let code = Int((y / readLSB).rounded())
                    codeSum[code, default: 0] += y - vy / vv * voltages[k] - bow * readBow(y)
                    codeCount[code, default: 0] += 1
                }
            }
        }
        var readCodeLSB = [Double](repeating: 0, count: 1 << Int(instrument.adc.bits))
        for (code, count) in codeCount where count >= 30 && readCodeLSB.indices.contains(code) {
            readCodeLSB[code] = codeSum[code]! / Double(count) / readLSB
        }
        for t in reads.indices {
            for k in reads[t].indices {
                reads[t][k] = reads[t][k].map { y in
                    let code = Int((y / readLSB).rounded())
                    guard let count = codeCount[code], count >= 30 else { return y }
                    return y - codeSum[code]! / Double(count)
                }
            }
        }
        var apparent: [[Double]] = []
        var bowResiduals = 0.0, bowCount = 0, slopes = 0
        for (t, pattern) in m.patterns.enumerated() {
            let voltages = patternVolts[t]
            var a = [Double](repeating: 0, count: n)
            var missing = 0
            for c in 0..<n {
                let use = usable(pattern.readAmperes, c)
                guard !use.isEmpty else { missing += 1; continue }
                var vy = 0.0, vv = 0.0
                for k in use {
                    vy += voltages[k] * (reads[t][k][c] - bow * readBow(reads[t][k][c]))
                    vv += voltages[k] * voltages[k]
                }
                a[c] = vy / vv
                if use.count >= 2 {
                    slopes += 1
                    for k in use {
                        let y = reads[t][k][c]
                        let r = y - a[c] * voltages[k] - bow * readBow(y)
                        bowResiduals += r * r
                        bowCount += 1
                    }
                }
            }
            guard missing * 20 <= n else {
                throw CalibrationError.tooFewDevices(kind: "cells read within the read converter's range for the periphery",
                                                     fitted: n - missing, needed: n * 19 / 20)
            }
            apparent.append(a)
        }
        let readBowSigma = denominator > 0 && bowCount > slopes + 1
            ? (bowResiduals / Double(bowCount - slopes - 1) / denominator).squareRoot() : .infinity

        // 2. Line resistance (and sneak fraction) by variable projection.
        let passive = info.kind == .nonVolatilePassive && instrument.defaultBiasScheme != .grounded
        let probes = m.patterns.map { $0.probeAmperes.count / columns }
        let training = probes.map { count in (0..<count).filter { !plan.isHeldOut($0) } }
        let held = probes.map { count in (0..<count).filter { plan.isHeldOut($0) } }
        // Saturated conversions say nothing about their current.
        let valid = m.patterns.map { $0.probeAmperes.map { abs($0) < 0.99 * mvmFullScale } }
        // Probe outputs as fitted: with the MVM converter's deviation per code taken off once it
        // is known (below).
        var outputs = m.patterns.map(\.probeAmperes)
        func mvmBow(_ y: Double) -> Double {
            let x = y / mvmFullScale
            return mvmLSB * (1 - x * x)
        }
        func periphery(_ p: [Double]) -> ArrayPeripheryParameters {
            var a = ArrayPeripheryParameters.ideal
            a.wireOhmsPerCell = p[0]
            a.lineOhms = p[1]
            a.halfSelectCurrentFraction = passive ? p[2] : 0
            return a
        }
        /// True conductances from one pattern's apparent ones.
        func conductances(_ apparent: [Double], _ a: ArrayPeripheryParameters) -> [Double] {
            let lines = LineResistance(wireOhmsPerCell: a.wireOhmsPerCell, lineOhms: a.lineOhms)
            return SneakPathCorrection(ratio: passive ? a.sneakRatio(under: instrument.defaultBiasScheme) : 0, lines: lines,
                                       rows: rows, columns: columns).tileSiemens(apparent: apparent)
        }
        /// Predicted ideal-amplifier column currents of pattern `t`'s probes in `set`.
        func products(_ g: [Double], _ t: Int, _ set: [Int]) -> [Double] {
            // Every step of the fit calls this for every probe: buffers, not array subscripts,
            // keep an unoptimised build's calibration from spending most of its time here.
            let volts = m.patterns[t].probeVolts
            return [Double](unsafeUninitializedCapacity: set.count * columns) { out, initialised in
                out.initialize(repeating: 0)
                g.withUnsafeBufferPointer { g in
                    volts.withUnsafeBufferPointer { volts in
                        for (q, k) in set.enumerated() {
                            let row = out.baseAddress! + q * columns
                            for i in 0..<rows {
                                let v = volts[k * rows + i]
                                guard v != 0 else { continue }
                                let cells = g.baseAddress! + i * columns
                                var j = 0
                                while j < columns { row[j] += cells[j] * v; j += 1 }
                            }
                        }
                    }
                }
                initialised = set.count * columns
            }
        }
        func effective(_ p: [Double], _ t: Int) -> [Double] {
            let a = periphery(p)
            return LineResistance(wireOhmsPerCell: a.wireOhmsPerCell, lineOhms: a.lineOhms)
                .effectiveConductances(conductances(apparent[t], a), rows: rows, columns: columns)
        }
        struct Readout {
            var gains: [Double]
            var offsets: [Double]
            var residuals: [Double]
            var gainErrors: [Double]
            var offsetErrors: [Double]
        }
        /// Every column's gain and offset, shared by the patterns, by linear least squares on the
        /// outputs with the converter's bow (the read converter's) taken off.
        func readout(_ x: [[Double]]) -> Readout {
            var sn = [Double](repeating: 0, count: columns), sx = sn, sxx = sn, sy = sn, sxy = sn, syy = sn
            for t in m.patterns.indices {
                let amperes = outputs[t]
                for (q, k) in training[t].enumerated() {
                    for j in 0..<columns where valid[t][k * columns + j] {
                        let xv = x[t][q * columns + j], y = amperes[k * columns + j]
                        let yv = y - bow * mvmBow(y)
                        sn[j] += 1; sx[j] += xv; sxx[j] += xv * xv
                        sy[j] += yv; sxy[j] += xv * yv; syy[j] += yv * yv
                    }
                }
            }
            var gains = [Double](repeating: 1, count: columns), offsets = [Double](repeating: 0, count: columns)
            var gainErrors = gains, offsetErrors = offsets
            for j in 0..<columns {
                let det = sn[j] * sxx[j] - sx[j] * sx[j]
                guard det > 0, sn[j] > 2 else { continue }
                gains[j] = (sn[j] * sxy[j] - sx[j] * sy[j]) / det
                offsets[j] = (sy[j] - gains[j] * sx[j]) / sn[j]
            }
            var residuals: [Double] = []
            var squares = [Double](repeating: 0, count: columns)
            for t in m.patterns.indices {
                let amperes = outputs[t]
                for (q, k) in training[t].enumerated() {
                    for j in 0..<columns {
                        guard valid[t][k * columns + j] else { residuals.append(0); continue }
                        let y = amperes[k * columns + j]
                        let r = y - bow * mvmBow(y) - gains[j] * x[t][q * columns + j] - offsets[j]
                        residuals.append(r)
                        squares[j] += r * r
                    }
                }
            }
            for j in 0..<columns {
                let det = sn[j] * sxx[j] - sx[j] * sx[j]
                guard det > 0, sn[j] > 2 else { continue }
                let variance = squares[j] / (sn[j] - 2)
                gainErrors[j] = (variance * sn[j] / det).squareRoot()
                offsetErrors[j] = (variance * sxx[j] / det).squareRoot()
            }
            return Readout(gains: gains, offsets: offsets, residuals: residuals, gainErrors: gainErrors, offsetErrors: offsetErrors)
        }
        func predictions(_ p: [Double], _ sets: [[Int]]) -> [[Double]] {
            m.patterns.indices.map { products(effective(p, $0), $0, sets[$0]) }
        }

        let defaults = instrument.periphery
        var initial = [max(defaults.wireOhmsPerCell, 0.5), max(defaults.lineOhms, 10)]
        var bounds: [ParameterBound] = [.positive, .positive]
        if passive {
            initial.append(min(max(defaults.halfSelectCurrentFraction, 0.05), 0.45))
            bounds.append(.interval(lower: 0, upper: 0.5))
        }
        let residualCount = training.reduce(0) { $0 + $1.count } * columns
        // On passive tiles the half-select fraction and the line resistance both shift the
        // conductances the reads imply, and the cost has more than one valley: the fit starts
        // from three fractions across the realistic range and keeps the best.
        let starts = passive ? [initial[2], 0.1, 0.2, 0.3].map { [initial[0], initial[1], $0] } : [initial]
        var best: LeastSquaresFit?
        for start in starts {
            let candidate = try LevenbergMarquardt(maxIterations: 60).fit(
                initial: start, bounds: bounds, residualCount: residualCount,
                residuals: { p in readout(predictions(p, training)).residuals.map { $0 / mvmLSB } })
            if best == nil || candidate.rmsResidual < best!.rmsResidual { best = candidate }
        }
        var fit = best!
        let mvmHalf = (1 << (Int(instrument.adc.bits) - 1)) - 1
        var mvmCodeLSB = [Double](repeating: 0, count: 2 * mvmHalf + 1)
        // The MVM converter's deviation per code: the mean residual of the conversions at that
        // code (read 30 times or more), taken off the outputs, and the fit once more from there.
        do {
            let r = readout(predictions(fit.parameters, training))
            var sum: [Int: Double] = [:], count: [Int: Int] = [:]
            var q = 0
            for t in m.patterns.indices {
                for k in training[t] {
                    for j in 0..<columns {
                        defer { q += 1 }
                        guard valid[t][k * columns + j] else { continue }
                        let code = Int((m.patterns[t].probeAmperes[k * columns + j] / mvmLSB).rounded())
                        sum[code, default: 0] += r.residuals[q]
                        count[code, default: 0] += 1
                    }
                }
            }
            for (code, c) in count where c >= 30 && mvmCodeLSB.indices.contains(code + mvmHalf) {
                mvmCodeLSB[code + mvmHalf] = sum[code]! / Double(c) / mvmLSB
            }
            outputs = m.patterns.map { pattern in
                pattern.probeAmperes.map { y in
                    let code = Int((y / mvmLSB).rounded())
                    guard let c = count[code], c >= 30 else { return y }
                    return y - sum[code]! / Double(c)
                }
            }
            fit = try LevenbergMarquardt(maxIterations: 60).fit(
                initial: fit.parameters, bounds: bounds, residualCount: residualCount,
                residuals: { p in readout(predictions(p, training)).residuals.map { $0 / mvmLSB } })
        }
        let p = fit.parameters
        let r = readout(predictions(p, training))

        var result = instrument.periphery
        result.wireOhmsPerCell = p[0]
        result.lineOhms = p[1]
        if passive { result.halfSelectCurrentFraction = p[2] }
        result.adcBowLSB = DistributedParameter(bow)
        result.senseGainSpread = SampleMoments(r.gains).standardDeviation
        result.senseOffsetSpread = SampleMoments(r.offsets).standardDeviation / mvmFullScale
        result.measuredColumns = [MeasuredColumns(tile: m.tile, gains: r.gains, offsetsAmperes: r.offsets)]
        // The converters' deviations per code, as measured; their spread is what the table shows.
        result.measuredReadCodeLSB = readCodeLSB
        result.measuredMVMCodeLSB = mvmCodeLSB
        let seen = (readCodeLSB + mvmCodeLSB).filter { $0 != 0 }
        result.adcCodeNoiseLSB = seen.isEmpty ? 0 : (seen.reduce(0) { $0 + $1 * $1 } / Double(seen.count)).squareRoot()
        parameters = result

        uncertainties["periphery.wireOhmsPerCell"] = fit.uncertainties[0]
        uncertainties["periphery.lineOhms"] = fit.uncertainties[1]
        if passive { uncertainties["periphery.halfSelectCurrentFraction"] = fit.uncertainties[2] }
        uncertainties["periphery.adcBowLSB"] = readBowSigma
        uncertainties["periphery.columnGain"] = SampleMoments(r.gainErrors).mean
        uncertainties["periphery.columnOffsetAmperes"] = SampleMoments(r.offsetErrors).mean
        if !passive { notMeasured.append("periphery.halfSelectCurrentFraction") }

        // Held-out probes: predicted with everything fitted, and from the reads alone (an ideal
        // periphery), relative to the held-out currents' RMS.
        let heldX = predictions(p, held)
        var error = 0.0, idealError = 0.0, signal = 0.0
        for t in m.patterns.indices {
            let ideal = products(apparent[t], t, held[t])
            let amperes = m.patterns[t].probeAmperes
            for (q, k) in held[t].enumerated() {
                for j in 0..<columns where valid[t][k * columns + j] {
                    let y = amperes[k * columns + j]
                    let linear = r.gains[j] * heldX[t][q * columns + j] + r.offsets[j]
                    let predicted = linear + bow * mvmBow(linear)
                    error += (predicted - y) * (predicted - y)
                    idealError += (ideal[q * columns + j] - y) * (ideal[q * columns + j] - y)
                    signal += y * y
                }
            }
        }
        heldOutProbes = held.reduce(0) { $0 + $1.count }
        heldOutRelativeRMS = signal > 0 ? (error / signal).squareRoot() : 0
        heldOutIdealRelativeRMS = signal > 0 ? (idealError / signal).squareRoot() : 0
        var fitted = 0.0, fittedSignal = 0.0
        for t in m.patterns.indices {
            for k in training[t] {
                for j in 0..<columns where valid[t][k * columns + j] {
                    fittedSignal += m.patterns[t].probeAmperes[k * columns + j] * m.patterns[t].probeAmperes[k * columns + j]
                }
            }
        }
        fitted = r.residuals.reduce(0) { $0 + $1 * $1 }
        fitResidualRelativeRMS = fittedSignal > 0 ? (fitted / fittedSignal).squareRoot() : 0
    }
}
