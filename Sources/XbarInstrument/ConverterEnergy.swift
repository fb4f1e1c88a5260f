/// What the board's converters and array cost per use: the figures an inference's energy is
/// estimated from (the `energy:` section of an instrument file). Estimates, never sent to a
/// board.
public struct ConverterEnergy: Hashable, Sendable {
    /// Energy of one DAC conversion driving one row of a matrix-vector product, joules.
    public var dacJoulesPerConversion: Double
    /// Energy of one ADC conversion of a column current (or a read), joules.
    public var adcJoulesPerConversion: Double
    /// How long the row voltages of a matrix-vector product stay applied while the columns
    /// integrate, seconds: the array's resistive energy is Σ V² G times this.
    public var mvmIntegrationSeconds: Double

    public init(dacJoulesPerConversion: Double, adcJoulesPerConversion: Double, mvmIntegrationSeconds: Double) {
        self.dacJoulesPerConversion = dacJoulesPerConversion
        self.adcJoulesPerConversion = adcJoulesPerConversion
        self.mvmIntegrationSeconds = mvmIntegrationSeconds
    }
}
