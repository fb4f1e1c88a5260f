import XbarDevice
import XbarInstrument

extension ProgrammingSettings {
    /// The standard settings for a board of the instrument's type: its default bias scheme,
    /// limits, read converter and payload size, planned with `device` (a calibration's) or the
    /// instrument's default device model.
    ///
    /// With `periphery` (a calibration's) on an instrument whose weight tiles are passive and
    /// biased with a half-select scheme, verify reads take the calibrated sneak current off
    /// (``sneakCorrection``) and their voltage leaves room for it.
    public static func standard(for instrument: Instrument, device: NonVolatileCellParameters? = nil,
                                tolerance: Tolerance = .percentOfRange(1),
                                periphery: ArrayPeripheryParameters? = nil) -> ProgrammingSettings {
        let model = device ?? instrument.device.nonVolatile
        let correction = periphery.flatMap { sneakCorrection(for: instrument, periphery: $0) }
        let readVolts = correction.map {
            verifyReadVolts(adcFullScaleAmperes: Double(instrument.adc.readFullScaleAmperes),
                            maxReadVolts: Double(instrument.limits.maxReadVolts), range: ProgrammableRange(device: model),
                            sneakRatio: $0.ratio, rows: $0.rows)
        }
        var settings = standard(tolerance: tolerance, scheme: instrument.defaultBiasScheme,
                                device: model, limits: instrument.limits,
                                adcFullScaleAmperes: Double(instrument.adc.readFullScaleAmperes),
                                maxPayloadBytes: Int(Instrument.maxPayloadBytes), readVolts: readVolts)
        settings.sneakCorrection = correction
        return settings
    }

    /// The correction of verify reads for the instrument's weight tiles under its bias scheme;
    /// nil unless they are passive, all of one shape, and `periphery` has sneak currents.
    public static func sneakCorrection(for instrument: Instrument, periphery: ArrayPeripheryParameters) -> SneakPathCorrection? {
        let tiles = instrument.weightTiles
        guard let first = tiles.first, tiles.allSatisfy({ $0.kind == .nonVolatilePassive && $0.rows == first.rows && $0.columns == first.columns })
        else { return nil }
        let ratio = periphery.sneakRatio(under: instrument.defaultBiasScheme)
        guard ratio > 0 else { return nil }
        return SneakPathCorrection(ratio: ratio, lines: LineResistance(wireOhmsPerCell: periphery.wireOhmsPerCell, lineOhms: periphery.lineOhms),
                                   rows: Int(first.rows), columns: Int(first.columns))
    }
}
