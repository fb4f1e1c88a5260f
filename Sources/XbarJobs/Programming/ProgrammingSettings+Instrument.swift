import XbarDevice
import XbarInstrument

extension ProgrammingSettings {
    /// The standard settings for a board of the instrument's type: its default bias scheme,
    /// limits, read converter and payload size, planned with `device` (a calibration's) or the
    /// instrument's default device model.
    public static func standard(for instrument: Instrument, device: NonVolatileCellParameters? = nil,
                                tolerance: Tolerance = .percentOfRange(1)) -> ProgrammingSettings {
        standard(tolerance: tolerance, scheme: instrument.defaultBiasScheme,
                 device: device ?? instrument.device.nonVolatile, limits: instrument.limits,
                 adcFullScaleAmperes: Double(instrument.adc.readFullScaleAmperes),
                 maxPayloadBytes: Int(Instrument.maxPayloadBytes))
    }
}
