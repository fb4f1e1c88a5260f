import Foundation

/// What lies between a tile's cells and the numbers a board reports: line resistance, the
/// column sense amplifiers of the MVM path, the converters' non-linearity, and the sneak
/// currents of passive arrays. Instrument files carry defaults (an `array:` section; none
/// means an ideal periphery); calibration files carry fitted values.
///
/// Single-cell reads go through one auto-zeroed precision read path (gain 1, no offset: it
/// defines the conductance scale), so the per-column gains and offsets belong to MVMs alone.
public struct ArrayPeripheryParameters: Hashable, Sendable, Codable {
    /// On-chip resistance of a row or column line between neighbouring cells, ohms.
    public var wireOhmsPerCell: Double
    /// Resistance in series with every row and every column outside the array (board trace,
    /// switch, driver or sense input), ohms.
    public var lineOhms: Double
    /// Gain mismatch of the columns' sense amplifiers (MVM path): relative standard deviation
    /// of a column's gain, drawn once per column of each tile.
    public var senseGainSpread: Double
    /// Offset of the columns' sense amplifiers (MVM path): standard deviation as a fraction of
    /// the MVM converter's full scale, drawn once per column of each tile.
    public var senseOffsetSpread: Double
    /// Integral non-linearity of the ADCs: the smooth bow's deviation at mid-scale in LSB
    /// (zero at both ends of the range), drawn once per board with its relative spread and
    /// shared by the read and MVM converters (one converter design).
    public var adcBowLSB: DistributedParameter
    /// Integral non-linearity of the ADCs: per-code random deviation, standard deviation in
    /// LSB, drawn once per code of each converter.
    public var adcCodeNoiseLSB: Double
    /// Passive tiles: the current of a cell at V/2 over its current at V (the read voltage),
    /// set by the cell's I-V non-linearity; 0.5 is a linear cell, 0 no sneak current at all.
    /// Cells are taken as `I(v) = I(V) * (v / V)^alpha` with `alpha = log2(1 / fraction)`, so
    /// under V/3 a half-selected cell carries `3^-alpha` of its full-V current.
    public var halfSelectCurrentFraction: Double
    /// Column gains and offsets a calibration measured, by tile: they replace the drawn ones.
    public var measuredColumns: [MeasuredColumns]
    /// The read converter's deviation per output code a calibration measured, LSB, from the
    /// lowest code (0 where it saw too few readings to tell); replaces the drawn one. Nil: drawn.
    public var measuredReadCodeLSB: [Double]?
    /// The same for the MVM converter, from its most negative code.
    public var measuredMVMCodeLSB: [Double]?

    public init(wireOhmsPerCell: Double, lineOhms: Double, senseGainSpread: Double, senseOffsetSpread: Double,
                adcBowLSB: DistributedParameter, adcCodeNoiseLSB: Double, halfSelectCurrentFraction: Double,
                measuredColumns: [MeasuredColumns] = []) {
        self.wireOhmsPerCell = wireOhmsPerCell
        self.lineOhms = lineOhms
        self.senseGainSpread = senseGainSpread
        self.senseOffsetSpread = senseOffsetSpread
        self.adcBowLSB = adcBowLSB
        self.adcCodeNoiseLSB = adcCodeNoiseLSB
        self.halfSelectCurrentFraction = halfSelectCurrentFraction
        self.measuredColumns = measuredColumns
    }

    /// Ideal wires, amplifiers and converters, no sneak currents: what boards without an
    /// `array:` section in their instrument file simulate.
    public static let ideal = ArrayPeripheryParameters(
        wireOhmsPerCell: 0, lineOhms: 0, senseGainSpread: 0, senseOffsetSpread: 0,
        adcBowLSB: DistributedParameter(0), adcCodeNoiseLSB: 0, halfSelectCurrentFraction: 0)

    /// Whether the lines carry any resistance.
    public var hasLineResistance: Bool { wireOhmsPerCell > 0 || lineOhms > 0 }

    /// Whether the converters deviate from ideal rounding.
    public var hasConverterNonlinearity: Bool {
        adcBowLSB.mean != 0 || adcCodeNoiseLSB > 0 || measuredReadCodeLSB != nil || measuredMVMCodeLSB != nil
    }

    /// The exponent of the cells' power-law I-V, `log2(1 / halfSelectCurrentFraction)`.
    public var currentExponent: Double {
        halfSelectCurrentFraction > 0 ? -log2(halfSelectCurrentFraction) : .infinity
    }

    /// The current of a half-selected cell at `fraction` of the read voltage over its current
    /// at the read voltage (0 without sneak currents).
    public func halfSelectRatio(atFraction fraction: Double) -> Double {
        guard halfSelectCurrentFraction > 0, fraction > 0 else { return 0 }
        return pow(fraction, currentExponent)
    }
}

/// A tile's column gains and offsets as a calibration measured them.
public struct MeasuredColumns: Hashable, Sendable, Codable {
    public var tile: UInt8
    /// Each column's gain (measured current over the current the cells carry).
    public var gains: [Double]
    /// Each column's offset, amperes.
    public var offsetsAmperes: [Double]

    public init(tile: UInt8, gains: [Double], offsetsAmperes: [Double]) {
        self.tile = tile
        self.gains = gains
        self.offsetsAmperes = offsetsAmperes
    }
}
