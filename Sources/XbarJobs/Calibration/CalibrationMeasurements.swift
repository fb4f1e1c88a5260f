/// Everything a calibration measured, before fitting.
public struct CalibrationMeasurements: Hashable, Sendable, Codable {
    public var nonVolatile: [NonVolatileCellMeasurement]
    public var stmTraces: [STMTrace]

    public init(nonVolatile: [NonVolatileCellMeasurement], stmTraces: [STMTrace]) {
        self.nonVolatile = nonVolatile
        self.stmTraces = stmTraces
    }
}
