/// How the chip's products of one matrix compared with the exact products of the same inputs,
/// and how they used the converters: what a lab looks at to find where a chip-in-loop model
/// loses accuracy.
///
/// Errors are of the product alone (the exact product takes the very inputs the chip got), so
/// they do not include errors carried in from earlier layers.
public struct ProductStatistics: Sendable {
    /// Vectors multiplied (not counting repeats of one vector).
    public var vectors = 0
    /// Sum over vectors and outputs of the exact product squared, and of the chip's error squared.
    public var exactSquares = 0.0
    public var errorSquares = 0.0
    /// Largest exact output magnitude.
    public var largestExact = 0.0
    /// ADC conversions, and those at or beyond the ADC's full scale.
    public var conversions = 0
    public var saturatedConversions = 0
    /// Sum of squared column currents over conversions, in ADC steps squared; and the largest, in steps.
    public var currentSquaresInSteps = 0.0
    public var largestCurrentSteps = 0.0
    /// Sum of squared differential signal currents `k s (W x)_j`, in ADC steps squared, per output.
    public var signalSquaresInSteps = 0.0
    /// Row inputs driven with a signal, and the sum of their squared volts over the DAC's full scale.
    public var drivenRows = 0
    public var inputSquaresOfFullScale = 0.0
    public var largestInputOfFullScale = 0.0

    public init() {}

    /// Root-mean-square error over root-mean-square exact output (0 when nothing was multiplied).
    public var relativeError: Double { exactSquares > 0 ? (errorSquares / exactSquares).squareRoot() : 0 }
    /// Fraction of conversions that saturated.
    public var saturationFraction: Double { conversions > 0 ? Double(saturatedConversions) / Double(conversions) : 0 }
    /// Root-mean-square column current, ADC steps.
    public var rmsCurrentSteps: Double { conversions > 0 ? (currentSquaresInSteps / Double(conversions)).squareRoot() : 0 }
    /// Root-mean-square differential signal of an output, ADC steps.
    public func rmsSignalSteps(outputs: Int) -> Double {
        vectors > 0 && outputs > 0 ? (signalSquaresInSteps / Double(vectors * outputs)).squareRoot() : 0
    }
    /// Root-mean-square driven row input, fraction of the DAC's full scale.
    public var rmsInputOfFullScale: Double { drivenRows > 0 ? (inputSquaresOfFullScale / Double(drivenRows)).squareRoot() : 0 }

    public mutating func merge(_ other: ProductStatistics) {
        vectors += other.vectors
        exactSquares += other.exactSquares
        errorSquares += other.errorSquares
        largestExact = max(largestExact, other.largestExact)
        conversions += other.conversions
        saturatedConversions += other.saturatedConversions
        currentSquaresInSteps += other.currentSquaresInSteps
        largestCurrentSteps = max(largestCurrentSteps, other.largestCurrentSteps)
        signalSquaresInSteps += other.signalSquaresInSteps
        drivenRows += other.drivenRows
        inputSquaresOfFullScale += other.inputSquaresOfFullScale
        largestInputOfFullScale = max(largestInputOfFullScale, other.largestInputOfFullScale)
    }
}
