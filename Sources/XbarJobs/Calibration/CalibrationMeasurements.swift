/// Everything a calibration measured, before fitting.
public struct CalibrationMeasurements: Hashable, Sendable, Codable {
    public var nonVolatile: [NonVolatileCellMeasurement]
    public var stmTraces: [STMTrace]
    /// The periphery part's reads and probes, when the plan had one.
    public var periphery: PeripheryMeasurement?

    public init(nonVolatile: [NonVolatileCellMeasurement], stmTraces: [STMTrace], periphery: PeripheryMeasurement? = nil) {
        self.nonVolatile = nonVolatile
        self.stmTraces = stmTraces
        self.periphery = periphery
    }
}
