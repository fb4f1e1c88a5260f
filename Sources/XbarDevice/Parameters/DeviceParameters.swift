/// The device model of a whole board: one parameter set per cell kind.
/// Instrument files carry defaults; calibration files carry fitted values.
public struct DeviceParameters: Hashable, Sendable, Codable {
    public var nonVolatile: NonVolatileCellParameters
    public var shortTermMemory: ShortTermMemoryCellParameters

    public init(nonVolatile: NonVolatileCellParameters, shortTermMemory: ShortTermMemoryCellParameters) {
        self.nonVolatile = nonVolatile
        self.shortTermMemory = shortTermMemory
    }
}
