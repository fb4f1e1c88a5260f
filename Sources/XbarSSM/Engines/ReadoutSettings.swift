/// How a chip-in-loop engine drives a tile's rows and reads its columns for one product: the
/// input scale, how many antithetic dither pairs each vector is averaged over, and how much of
/// the ADC's range a column may use.
///
/// Two settings matter in practice:
/// - ``activationRange``: the earlier method. A quantised activation's range `r` sits at the
///   DAC's full scale (every quantiser level a DAC level); float vectors are scaled so their
///   largest magnitude reaches full scale. Activations seldom come near `r` (a range covers
///   the 99.99th percentile of the training data), so rows see a tenth of full scale and
///   column signals fall below one ADC step.
/// - ``ranged``: every vector's largest magnitude at the DAC's full scale, unless the column
///   currents the host expects from the tile's conductances would leave the ADC's range, and
///   every vector whose conversion still reaches full scale measured again at half the
///   scale. Vectors that are all zero are not sent. A diagonal matrix (an S4D's decay, one
///   cell per column) is averaged over more dither pairs where its signal is short of
///   ``ditherFreeSteps``; its rows carry the states' magnitudes (``rowScaledDiagonals`` off).
///
/// Measured on the spoken-digit int8 event SSM (50 samples, `usb-4x64`): with activation
/// ranges its layer-1 inputs use 9 % to 11 % of the DAC's range (rms), their column signals
/// are a third of an ADC step and the products err by 35 % to 45 % rms; ranged (with
/// per-output weight scaling), signals of about two steps and errors of 6 % to 12 %. The ADC
/// saturated on none of the shipped models either way: its full scale is sized for whole
/// columns of large conductances, which these weights never draw.
public struct ReadoutSettings: Hashable, Sendable {
    public enum InputScaling: String, Hashable, Sendable, CaseIterable {
        /// A quantised activation's range at full scale; float vectors' largest magnitude at full scale.
        case activationRange = "activation-range"
        /// Every vector's largest magnitude at full scale, within the ADC's range.
        case perVector = "per-vector"
    }

    public var inputScaling: InputScaling
    /// Antithetic dither pairs per product (0: one plain conversion).
    public var ditherPairs: Int
    /// Antithetic dither pairs for diagonal matrices, whose columns each carry one cell.
    public var diagonalDitherPairs: Int
    /// Whether a diagonal matrix's rows are each driven at full scale with their input's sign,
    /// its outputs rescaled by their own input's magnitude on the host (with
    /// ``InputScaling/perVector``): the earlier way of an S4D's decay on the chip, which keeps
    /// the states off the array. Off by default: the states' magnitudes drive the rows.
    public var rowScaledDiagonals: Bool
    /// Largest dither per row, as a fraction of full scale.
    public var ditherFraction: Double
    /// Largest column current the host plans for, as a fraction of the ADC's full scale; the
    /// rest is margin for conductances off their believed values.
    public var adcHeadroom: Double
    /// Times a vector whose conversion reached the ADC's full scale is measured again, each
    /// time at half the input scale (0: saturated conversions are used as they come).
    public var saturationRetries: Int
    /// Whether each vector is converted in the smallest of the board's sense ranges that holds
    /// its planned column currents (with ``adcHeadroom``), when the board has ranges; a vector
    /// a range flags as saturated is measured again in the next range up.
    public var usesSenseRanges: Bool
    /// A vector whose largest planned column current spans at least this many steps of its
    /// sense range is converted once, without dither: its conversion error is already a small
    /// part of the signal, and dither would only multiply the conversions.
    public var ditherFreeSteps: Double

    public init(inputScaling: InputScaling, ditherPairs: Int, diagonalDitherPairs: Int? = nil, rowScaledDiagonals: Bool = false,
                ditherFraction: Double = 0.25, adcHeadroom: Double = 0.8, saturationRetries: Int = 3,
                usesSenseRanges: Bool = true, ditherFreeSteps: Double = 64) {
        self.usesSenseRanges = usesSenseRanges
        self.ditherFreeSteps = ditherFreeSteps
        precondition(adcHeadroom > 0 && adcHeadroom <= 1, "ADC headroom is a fraction of full scale in (0, 1]")
        precondition(ditherFraction > 0 && ditherFraction < 1, "the dither is a fraction of full scale in (0, 1)")
        self.inputScaling = inputScaling
        self.ditherPairs = max(0, ditherPairs)
        self.diagonalDitherPairs = max(0, diagonalDitherPairs ?? ditherPairs)
        self.rowScaledDiagonals = rowScaledDiagonals
        self.ditherFraction = ditherFraction
        self.adcHeadroom = adcHeadroom
        self.saturationRetries = max(0, saturationRetries)
    }

    /// The earlier method: activation ranges at full scale, four dither pairs everywhere, no
    /// ADC planning or saturation retries.
    public static let activationRange = ReadoutSettings(inputScaling: .activationRange, ditherPairs: 4,
                                                        adcHeadroom: 1, saturationRetries: 0, usesSenseRanges: false)

    /// Per-vector input scale within the ADC's range, four dither pairs, sixteen for diagonal
    /// matrices, wherever the board's sense ranges leave a vector's signal under
    /// ``ditherFreeSteps`` steps (everywhere on a board without ranges).
    public static let ranged = ReadoutSettings(inputScaling: .perVector, ditherPairs: 4, diagonalDitherPairs: 16)
}
