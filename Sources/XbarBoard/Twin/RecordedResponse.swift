import XbarDevice

/// The switching law one cell showed while it was programmed, as fitted from the run's records:
/// the step fractions it responded with under the thresholds and bounds the fit assumed.
///
/// A twin cell given a response switches as the chip's cell did, so that the twin's
/// write-verify meets this chip's slow and fast cells where the chip has them rather than
/// where a fresh draw from the population puts them. A direction the cell was never seen to
/// respond in keeps the cell's own draw.
public struct RecordedResponse: Hashable, Sendable {
    /// Fraction of the distance to the upper bound moved by a reference SET pulse; nil: not seen.
    public var setStepFraction: Double?
    /// Fraction of the distance to the lower bound moved by a reference RESET pulse; nil: not seen.
    public var resetStepFraction: Double?
    /// Thresholds the step fractions hold at, volts (positive).
    public var setThresholdVolts: Double
    public var resetThresholdVolts: Double
    /// Bounds the step fractions scale with, siemens.
    public var gMinSiemens: Double
    public var gMaxSiemens: Double

    public init(setStepFraction: Double?, resetStepFraction: Double?, setThresholdVolts: Double, resetThresholdVolts: Double,
                gMinSiemens: Double, gMaxSiemens: Double) {
        self.setStepFraction = setStepFraction
        self.resetStepFraction = resetStepFraction
        self.setThresholdVolts = setThresholdVolts
        self.resetThresholdVolts = resetThresholdVolts
        self.gMinSiemens = gMinSiemens
        self.gMaxSiemens = gMaxSiemens
    }

    /// `draw` switching as this response says, in the directions it was seen to respond in.
    func applied(to draw: NonVolatileCellDraw) -> NonVolatileCellDraw {
        guard setStepFraction != nil || resetStepFraction != nil else { return draw }
        var d = draw
        d.gMinSiemens = gMinSiemens
        d.gMaxSiemens = gMaxSiemens
        if let f = setStepFraction {
            d.setStepFraction = min(f, 1)
            d.setThresholdVolts = setThresholdVolts
        }
        if let f = resetStepFraction {
            d.resetStepFraction = min(f, 1)
            d.resetThresholdVolts = resetThresholdVolts
        }
        return d
    }
}
