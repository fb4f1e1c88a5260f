/// One range of a board's column sense amplifiers and converter: a transimpedance gain the
/// board switches to for a READ or an MVM that asks for it by index (IDENTITY lists them,
/// capability ``Capabilities/senseRanges``).
///
/// A READ in a range converts `0 ... fullScaleAmperes`, an MVM `-fullScaleAmperes ...
/// +fullScaleAmperes`, with the ADC's resolution either way; a current beyond the range reads
/// full scale and is flagged as saturated in the reply.
public struct SenseRange: Hashable, Sendable, Codable {
    /// Full-scale current, amperes; positive.
    public var fullScaleAmperes: Float
    /// Read noise of one conversion in this range, referred to the input: the standard
    /// deviation of the current, amperes; zero or positive.
    public var noiseAmperes: Float

    public init(fullScaleAmperes: Float, noiseAmperes: Float) {
        self.fullScaleAmperes = fullScaleAmperes
        self.noiseAmperes = noiseAmperes
    }
}
