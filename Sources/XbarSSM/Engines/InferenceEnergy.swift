import XbarInstrument

/// An inference's energy on the chip, estimated from what the engine asked of the board: the
/// array's resistive energy from the row voltages it applied and the conductances it
/// programmed, one DAC conversion per driven row and one ADC conversion per converted column
/// of every product, and the STM pulses' energy. An estimate from the instrument's converter
/// figures (``ConverterEnergy``), not a measurement: no board reports its energy.
public struct InferenceEnergy: Hashable, Sendable {
    /// Σ over products of Σᵢ Vᵢ² Σⱼ Gᵢⱼ, volts² · siemens (watts); times the integration time
    /// it is the array's energy.
    public private(set) var arrayWatts = 0.0
    /// Rows driven, summed over products (each one DAC conversion).
    public private(set) var dacConversions = 0
    /// Column currents converted, summed over products, plus STM node reads.
    public private(set) var adcConversions = 0
    /// Energy of the pulses applied to STM nodes, joules (V² G t per pulse).
    public private(set) var pulseJoules = 0.0

    public init() {}

    /// One product: `rowVolts[i]` applied to row i, whose cells in the product's columns sum to
    /// `rowSiemens[i]`; `columns` currents converted.
    public mutating func addProduct(rowVolts: ArraySlice<Float>, rowSiemens: [Double], columns: Int) {
        var watts = 0.0
        var driven = 0
        for (v, g) in zip(rowVolts, rowSiemens) where v != 0 {
            watts += Double(v) * Double(v) * g
            driven += 1
        }
        arrayWatts += watts
        dacConversions += driven
        adcConversions += columns
    }

    /// Node reads, each one conversion (their array energy is a read's, negligible beside it).
    public mutating func addReads(_ count: Int) { adcConversions += count }

    /// `count` pulses of `volts` for `widthSeconds` into nodes of about `siemens`.
    public mutating func addPulses(_ count: Int, volts: Double, widthSeconds: Double, siemens: Double) {
        pulseJoules += Double(count) * volts * volts * siemens * widthSeconds
    }

    public static func + (a: InferenceEnergy, b: InferenceEnergy) -> InferenceEnergy { a.adding(b, times: 1) }

    /// What was added between `b` and `a` (`a` a later total of the same accumulator).
    public static func - (a: InferenceEnergy, b: InferenceEnergy) -> InferenceEnergy { a.adding(b, times: -1) }

    /// Every field's `self + sign * other`, so that a new field cannot be left out of one of the two.
    private func adding(_ other: InferenceEnergy, times sign: Int) -> InferenceEnergy {
        var s = self
        s.arrayWatts += Double(sign) * other.arrayWatts
        s.dacConversions += sign * other.dacConversions
        s.adcConversions += sign * other.adcConversions
        s.pulseJoules += Double(sign) * other.pulseJoules
        return s
    }

    /// The estimate in joules, part by part.
    public struct Joules: Hashable, Sendable {
        public var array: Double
        public var dac: Double
        public var adc: Double
        public var pulses: Double
        public var total: Double { array + dac + adc + pulses }
    }

    /// The estimate with an instrument's figures.
    public func joules(_ figures: ConverterEnergy) -> Joules {
        Joules(array: arrayWatts * figures.mvmIntegrationSeconds,
               dac: Double(dacConversions) * figures.dacJoulesPerConversion,
               adc: Double(adcConversions) * figures.adcJoulesPerConversion,
               pulses: pulseJoules)
    }
}
