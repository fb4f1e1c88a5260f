import Foundation

/// The drive strength ``SwitchingDrive/strength(amplitudeVolts:thresholdVolts:widthSeconds:overdriveScaleVolts:referenceWidthSeconds:widthExponent:)``
/// with its parameters bundled, as a fitted model, and its derivatives for fitting.
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
        SwitchingDrive.strength(amplitudeVolts: amplitudeVolts, thresholdVolts: thresholdVolts, widthSeconds: widthSeconds,
                                overdriveScaleVolts: overdriveScaleVolts, referenceWidthSeconds: referenceWidthSeconds,
                                widthExponent: widthExponent)
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
