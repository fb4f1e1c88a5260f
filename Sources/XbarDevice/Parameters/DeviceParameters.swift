/// The device model of a whole board: one parameter set per cell kind, and named STM device
/// classes for boards whose state nodes are several kinds of device (sizes, stack variants).
/// Instrument files carry defaults; calibration files carry fitted values.
public struct DeviceParameters: Hashable, Sendable {
    public var nonVolatile: NonVolatileCellParameters
    /// The STM population of nodes whose row names no device class.
    public var shortTermMemory: ShortTermMemoryCellParameters
    /// STM device classes by name, each a complete parameter set; an instrument's STM tiles
    /// say which class each of their rows is. Empty on boards with one STM population.
    public var shortTermMemoryClasses: [String: ShortTermMemoryCellParameters]

    public init(nonVolatile: NonVolatileCellParameters, shortTermMemory: ShortTermMemoryCellParameters,
                shortTermMemoryClasses: [String: ShortTermMemoryCellParameters] = [:]) {
        self.nonVolatile = nonVolatile
        self.shortTermMemory = shortTermMemory
        self.shortTermMemoryClasses = shortTermMemoryClasses
    }

    /// The STM population of a device class: `shortTermMemory` for nil (no class), nil for a
    /// name this model has no class of.
    public func shortTermMemory(deviceClass: String?) -> ShortTermMemoryCellParameters? {
        guard let deviceClass else { return shortTermMemory }
        return shortTermMemoryClasses[deviceClass]
    }
}

extension DeviceParameters: Codable {
    private enum CodingKeys: String, CodingKey { case nonVolatile, shortTermMemory, shortTermMemoryClasses }

    /// Files written before device classes existed have no `shortTermMemoryClasses`: they
    /// decode with none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(nonVolatile: try c.decode(NonVolatileCellParameters.self, forKey: .nonVolatile),
                  shortTermMemory: try c.decode(ShortTermMemoryCellParameters.self, forKey: .shortTermMemory),
                  shortTermMemoryClasses: try c.decodeIfPresent([String: ShortTermMemoryCellParameters].self,
                                                                forKey: .shortTermMemoryClasses) ?? [:])
    }

    /// Leaves `shortTermMemoryClasses` out when there are none, so a one-population model is
    /// written exactly as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nonVolatile, forKey: .nonVolatile)
        try c.encode(shortTermMemory, forKey: .shortTermMemory)
        if !shortTermMemoryClasses.isEmpty {
            try c.encode(shortTermMemoryClasses, forKey: .shortTermMemoryClasses)
        }
    }
}
