/// A device parameter with its device-to-device spread: each cell draws its own value once,
/// `mean * (1 + relativeSpread * xi)` with `xi` standard normal (lognormal for strictly
/// positive quantities, see the cell models).
///
/// In parameter files it is written either as a plain number (no spread) or as
/// `{ mean: 1.0e-6, spread: 0.2 }`.
public struct DistributedParameter: Hashable, Sendable {
    /// The population mean, in the unit the parameter's name states.
    public var mean: Double
    /// Device-to-device relative standard deviation (0.2 means 20 %).
    public var spread: Double

    public init(_ mean: Double, spread: Double = 0) {
        self.mean = mean
        self.spread = spread
    }
}

extension DistributedParameter: Codable {
    private enum CodingKeys: String, CodingKey { case mean, spread }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let value = try? single.decode(Double.self) {
            self.init(value)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(try c.decode(Double.self, forKey: .mean), spread: try c.decodeIfPresent(Double.self, forKey: .spread) ?? 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean, forKey: .mean)
        try c.encode(spread, forKey: .spread)
    }
}
