import Foundation

/// The pulse-strength factor `s(V, w)` of the switching laws of ``NonVolatileCellParameters``
/// and ``ShortTermMemoryCellParameters``:
/// `s = (exp((|V| - threshold) / overdriveScaleVolts) - 1) / (e - 1) * (w / referenceWidthSeconds)^widthExponent`
/// above threshold, 0 at or below it, and its derivatives for fitting.
public struct SwitchingStrength: Hashable, Sendable {
    public var thresholdVolts: Double
    public var overdriveScaleVolts: Double
    public var referenceWidthSeconds: Double
    public var widthExponent: Double

    public init(thresholdVolts: Double, overdriveScaleVolts: Double, referenceWidthSeconds: Double, widthExponent: Double) {
        self.thresholdVolts = thresholdVolts
        self.overdriveScaleVolts = overdriveScaleVolts
        self.referenceWidthSeconds = referenceWidthSeconds
        self.widthExponent = widthExponent
    }

    /// `s` for a pulse of `amplitudeVolts` (sign ignored) and `widthSeconds`.
    public func callAsFunction(amplitudeVolts: Double, widthSeconds: Double) -> Double {
        let overdrive = abs(amplitudeVolts) - thresholdVolts
        guard overdrive > 0 else { return 0 }
        return Foundation.expm1(overdrive / overdriveScaleVolts) / (M_E - 1)
            * pow(widthSeconds / referenceWidthSeconds, widthExponent)
    }

    /// The amplitude, volts (positive), at which a pulse of `widthSeconds` has strength `s`: the
    /// inverse of ``callAsFunction(amplitudeVolts:widthSeconds:)`` above threshold.
    ///
    /// - Precondition: `s > 0` and `widthSeconds > 0`.
    public func amplitudeVolts(forStrength s: Double, widthSeconds: Double) -> Double {
        precondition(s > 0 && widthSeconds > 0, "a pulse strength and width must be positive")
        let widthFactor = pow(widthSeconds / referenceWidthSeconds, widthExponent)
        return thresholdVolts + overdriveScaleVolts * Foundation.log1p(s * (M_E - 1) / widthFactor)
    }

    /// Partial derivatives of `s` with respect to threshold, overdrive scale and width exponent.
    func gradient(amplitudeVolts: Double, widthSeconds: Double) -> (threshold: Double, overdriveScale: Double, widthExponent: Double) {
        let overdrive = abs(amplitudeVolts) - thresholdVolts
        guard overdrive > 0 else { return (0, 0, 0) }
        let x = overdrive / overdriveScaleVolts
        let widthFactor = pow(widthSeconds / referenceWidthSeconds, widthExponent)
        let e = exp(x) / (M_E - 1) * widthFactor
        let s = Foundation.expm1(x) / (M_E - 1) * widthFactor
        return (-e / overdriveScaleVolts, -e * x / overdriveScaleVolts, s * log(widthSeconds / referenceWidthSeconds))
    }
}
