import Foundation

/// How non-volatile cells wear with use and how sub-threshold pulses creep them: endurance
/// (the on/off window narrows with SET/RESET cycles, then the cell fails stuck) and the disturb
/// of half-selected cells on passive arrays. Instrument files carry defaults in a
/// `device.non_volatile_wear` section; without one cells never wear and are never disturbed
/// below threshold.
///
/// A cycle is a SET followed by a RESET, both above threshold. Cell `i` fails after `N_i`
/// cycles, drawn lognormal: `ln N_i` is normal with mean `ln enduranceMedianCycles` and
/// standard deviation `enduranceLogSpread`. Before that, after `n` cycles, both bounds move
/// towards each other by `windowLossAtFailure * (n / N_i)^windowLossExponent / 2` of the range
/// each, so the window is `1 - windowLossAtFailure` of its fresh size just before failure.
/// At failure the cell sticks at its worn `gMax` (a fraction `failureStuckHighFraction` of
/// cells, the failure that leaves a filament in place) or its worn `gMin`.
///
/// A pulse of magnitude `|V|` at or below a cell's threshold moves it towards the bound of its
/// polarity by `disturbStepFraction * exp((|V| - threshold) / disturbScaleVolts) *
/// (w / referenceWidthSeconds)^widthExponent` of the remaining distance: that fraction of the
/// distance at the threshold itself, falling by e for every `disturbScaleVolts` below it.
public struct NonVolatileWearParameters: Hashable, Sendable, Codable {
    /// Median cycles to failure of the population.
    public var enduranceMedianCycles: Double
    /// Standard deviation of the natural logarithm of a cell's cycles to failure.
    public var enduranceLogSpread: Double
    /// Fraction of the fresh on/off window lost just before a cell fails, in [0, 1).
    public var windowLossAtFailure: Double
    /// How the loss grows towards failure: `(n / N)^windowLossExponent`, positive.
    public var windowLossExponent: Double
    /// Fraction of failed cells stuck at their worn `gMax`; the others stick at their worn `gMin`.
    public var failureStuckHighFraction: Double
    /// Fraction of the distance to the bound moved by a reference-width pulse exactly at the
    /// threshold (0 turns sub-threshold disturb off).
    public var disturbStepFraction: Double
    /// Volts below threshold over which the disturb falls by e, positive.
    public var disturbScaleVolts: Double

    public init(enduranceMedianCycles: Double, enduranceLogSpread: Double, windowLossAtFailure: Double,
                windowLossExponent: Double, failureStuckHighFraction: Double, disturbStepFraction: Double,
                disturbScaleVolts: Double) {
        self.enduranceMedianCycles = enduranceMedianCycles
        self.enduranceLogSpread = enduranceLogSpread
        self.windowLossAtFailure = windowLossAtFailure
        self.windowLossExponent = windowLossExponent
        self.failureStuckHighFraction = failureStuckHighFraction
        self.disturbStepFraction = disturbStepFraction
        self.disturbScaleVolts = disturbScaleVolts
    }

    /// Below this many `disturbScaleVolts` under a threshold the disturb is less than
    /// `exp(-12)` of its value at threshold, and pulses are not worth visiting cells for.
    public static let disturbReachScales = 12.0

    /// How far below a threshold a pulse still disturbs, volts (0 without disturb).
    public var disturbReachVolts: Double {
        disturbStepFraction > 0 ? Self.disturbReachScales * disturbScaleVolts : 0
    }
}
