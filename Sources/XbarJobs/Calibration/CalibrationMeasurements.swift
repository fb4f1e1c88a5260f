/// Everything a calibration measured, before fitting.
public struct CalibrationMeasurements: Hashable, Sendable, Codable {
    public var nonVolatile: [NonVolatileCellMeasurement]
    public var stmTraces: [STMTrace]
    /// The periphery part's reads and probes, when the plan had one.
    public var periphery: PeripheryMeasurement?
    /// The same on the periphery plan's column tiles, in their order.
    public var peripheryColumnTiles: [PeripheryMeasurement]

    public init(nonVolatile: [NonVolatileCellMeasurement], stmTraces: [STMTrace], periphery: PeripheryMeasurement? = nil,
                peripheryColumnTiles: [PeripheryMeasurement] = []) {
        self.nonVolatile = nonVolatile
        self.stmTraces = stmTraces
        self.periphery = periphery
        self.peripheryColumnTiles = peripheryColumnTiles
    }
}
