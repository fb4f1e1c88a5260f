/// One measured per-pulse rate: the fraction of the distance to the bound moved by one pulse
/// of `amplitudeVolts` (magnitude) and `widthSeconds`, with its one-sigma uncertainty.
public struct RateObservation: Hashable, Sendable {
    public var amplitudeVolts: Double
    public var widthSeconds: Double
    public var rate: Double
    public var uncertainty: Double

    public init(amplitudeVolts: Double, widthSeconds: Double, rate: Double, uncertainty: Double) {
        self.amplitudeVolts = amplitudeVolts
        self.widthSeconds = widthSeconds
        self.rate = rate
        self.uncertainty = uncertainty
    }
}

/// The switching law fitted across a population: `rate = stepFraction_c * s(V, w; threshold_c)`
/// with a step fraction and threshold per device `c` and the overdrive scale and width exponent
/// shared by all devices (as the parameter sets define them). A weighted least-squares fit
/// of every device's rates at once, weights `1 / uncertainty`.
public struct SwitchingLawFit: Sendable {
    public struct Device: Hashable, Sendable {
        public var stepFraction: Double
        public var stepFractionUncertainty: Double
        public var thresholdVolts: Double
        public var thresholdUncertainty: Double
    }

    public var overdriveScaleVolts: Double
    public var overdriveScaleUncertainty: Double
    public var widthExponent: Double
    public var widthExponentUncertainty: Double
    public var referenceWidthSeconds: Double
    public var devices: [Device]
    /// Square root of the reduced chi-square: near 1 when rates scatter as their uncertainties say.
    public var normalisedRMS: Double
    public var converged: Bool

    /// The strength law of device `index`.
    public func strength(device index: Int) -> SwitchingStrength {
        SwitchingStrength(thresholdVolts: devices[index].thresholdVolts, overdriveScaleVolts: overdriveScaleVolts,
                          referenceWidthSeconds: referenceWidthSeconds, widthExponent: widthExponent)
    }

    /// Fits the law.
    ///
    /// - Parameters:
    ///   - observations: per device, its rates (at least two amplitudes per device; several
    ///     widths across the population when the width exponent is fitted).
    ///   - guess: starting law (the instrument's defaults); its reference width is kept, as it
    ///     only fixes the unit in which step fractions are expressed.
    ///   - thresholdGuesses: starting threshold per device (the guess's threshold when nil).
    ///   - stepFractionGuess: starting step fraction.
    ///   - fitWidthExponent: false keeps the guess's exponent (all rates at one width).
    ///   - fitOverdriveScale: false keeps the guess's overdrive scale (known from another population).
    ///   - maxThresholdVolts: upper bound of a threshold, volts.
    /// - Throws: ``LeastSquaresError`` when there are fewer rates than parameters.
    public static func fit(_ observations: [[RateObservation]], guess: SwitchingStrength, thresholdGuesses: [Double]? = nil,
                           stepFractionGuess: Double,
                           fitWidthExponent: Bool = true, fitOverdriveScale: Bool = true, maxThresholdVolts: Double,
                           fitter: LevenbergMarquardt = LevenbergMarquardt()) throws(LeastSquaresError) -> SwitchingLawFit {
        // A rate measured on a curve that did not move at all (below threshold, converter steps
        // coarser than the noise) can claim an uncertainty near zero; no rate is trusted to
        // better than a quarter of the typical one.
        let sigmas = observations.joined().map(\.uncertainty).filter { $0.isFinite && $0 > 0 }.sorted()
        let floor = sigmas.isEmpty ? 0 : 0.25 * sigmas[sigmas.count / 2]
        let rows: [(device: Int, obs: RateObservation)] = observations.enumerated().flatMap { c, list in
            list.filter { $0.uncertainty.isFinite && $0.uncertainty > 0 }.map {
                var o = $0
                o.uncertainty = max(o.uncertainty, floor)
                return (c, o)
            }
        }
        let devices = observations.count
        let n = 2 + 2 * devices
        let m = rows.count
        var initial = [guess.overdriveScaleVolts, guess.widthExponent]
        var bounds: [ParameterBound] = [.positive, .interval(lower: 0.01, upper: 1.5)]
        for c in 0..<devices {
            // A device's threshold cannot lie above its weakest effective pulse: start below it.
            let thresholdGuess = thresholdGuesses?[c] ?? guess.thresholdVolts
            let typical = (observations[c].map(\.rate).max() ?? 0) * 0.05
            let lowest = observations[c].filter { $0.rate > typical }.map(\.amplitudeVolts).min() ?? thresholdGuess
            let th = min(thresholdGuess, lowest - 0.05 * guess.overdriveScaleVolts)
            let s = SwitchingStrength(thresholdVolts: th, overdriveScaleVolts: guess.overdriveScaleVolts,
                                      referenceWidthSeconds: guess.referenceWidthSeconds, widthExponent: guess.widthExponent)
            var num = 0.0, den = 0.0
            for o in observations[c] {
                let x = s(amplitudeVolts: o.amplitudeVolts, widthSeconds: o.widthSeconds)
                num += x * o.rate; den += x * x
            }
            let a = den > 0 && num > 0 ? num / den : stepFractionGuess
            initial += [a, max(th, 0.01 * maxThresholdVolts)]
            bounds += [.positive, .interval(lower: 0, upper: maxThresholdVolts)]
        }
        func law(_ p: [Double], _ c: Int) -> SwitchingStrength {
            SwitchingStrength(thresholdVolts: p[3 + 2 * c], overdriveScaleVolts: p[0],
                              referenceWidthSeconds: guess.referenceWidthSeconds, widthExponent: fitWidthExponent ? p[1] : guess.widthExponent)
        }
        let result = try fitter.fit(
            initial: initial, bounds: bounds, residualCount: m + (fitWidthExponent ? 0 : 1) + (fitOverdriveScale ? 0 : 1),
            residuals: { p in
                var r = rows.map { row -> Double in
                    let s = law(p, row.device)(amplitudeVolts: row.obs.amplitudeVolts, widthSeconds: row.obs.widthSeconds)
                    return (row.obs.rate - p[2 + 2 * row.device] * s) / row.obs.uncertainty
                }
                // A fixed exponent or scale still occupies a parameter slot: pin it with a stiff residual.
                if !fitWidthExponent { r.append((p[1] - guess.widthExponent) * 1e6) }
                if !fitOverdriveScale { r.append((p[0] - guess.overdriveScaleVolts) * 1e6) }
                return r
            },
            jacobian: { p in
                let pins = (fitWidthExponent ? 0 : 1) + (fitOverdriveScale ? 0 : 1)
                var j = [Double](repeating: 0, count: (m + pins) * n)
                for (i, row) in rows.enumerated() {
                    let c = row.device
                    let s = law(p, c)
                    let value = s(amplitudeVolts: row.obs.amplitudeVolts, widthSeconds: row.obs.widthSeconds)
                    let d = s.gradient(amplitudeVolts: row.obs.amplitudeVolts, widthSeconds: row.obs.widthSeconds)
                    let a = p[2 + 2 * c]
                    let w = -1 / row.obs.uncertainty
                    j[i * n + 0] = w * a * d.overdriveScale
                    j[i * n + 1] = fitWidthExponent ? w * a * d.widthExponent : 0
                    j[i * n + 2 + 2 * c] = w * value
                    j[i * n + 3 + 2 * c] = w * a * d.threshold
                }
                if !fitWidthExponent { j[m * n + 1] = 1e6 }
                if !fitOverdriveScale { j[(m + (fitWidthExponent ? 0 : 1)) * n] = 1e6 }
                return j
            })
        // The fitter scales uncertainties by the residual variance, which a few devices far
        // off the law (a threshold beyond the measured amplitudes, a heavy-tailed step) can
        // double for everyone; the typical device's scatter is the robust one, 1.4826 times
        // the median absolute normalised residual.
        let rateResiduals = result.residuals.prefix(m).map(abs).sorted()
        let robustScale = rateResiduals.isEmpty ? 1 : 1.4826 * rateResiduals[rateResiduals.count / 2]
        let overall = result.residualVariance.squareRoot()
        let factor = overall > 0 && robustScale > 0 ? min(1, robustScale / overall) : 1
        let p = result.parameters, u = result.uncertainties.map { $0 * factor }
        return SwitchingLawFit(
            overdriveScaleVolts: fitOverdriveScale ? p[0] : guess.overdriveScaleVolts, overdriveScaleUncertainty: fitOverdriveScale ? u[0] : 0,
            widthExponent: fitWidthExponent ? p[1] : guess.widthExponent, widthExponentUncertainty: fitWidthExponent ? u[1] : 0,
            referenceWidthSeconds: guess.referenceWidthSeconds,
            devices: (0..<devices).map { c in
                Device(stepFraction: p[2 + 2 * c], stepFractionUncertainty: u[2 + 2 * c],
                       thresholdVolts: p[3 + 2 * c], thresholdUncertainty: u[3 + 2 * c])
            },
            normalisedRMS: result.residualVariance.squareRoot(), converged: result.converged)
    }
}
