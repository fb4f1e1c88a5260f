import Foundation

/// The drive strength `s(V, w)` shared by the non-volatile and STM switching laws.
public enum SwitchingDrive {
    /// `s = (exp((|V| - threshold) / overdriveScale) - 1) / (e - 1) * (w / referenceWidth)^widthExponent`
    /// above threshold, exactly 0 at or below it. Volts and seconds.
    @inlinable
    public static func strength(amplitudeVolts: Double, thresholdVolts: Double, widthSeconds: Double,
                                overdriveScaleVolts: Double, referenceWidthSeconds: Double,
                                widthExponent: Double) -> Double {
        let overdrive = abs(amplitudeVolts) - thresholdVolts
        guard overdrive > 0, widthSeconds > 0 else { return 0 }
        let voltageFactor = expm1(overdrive / overdriveScaleVolts) / (M_E - 1)
        return voltageFactor * pow(widthSeconds / referenceWidthSeconds, widthExponent)
    }
}
