/// How programming a cell ended.
public enum CellOutcome: String, Hashable, Sendable, Codable, CaseIterable {
    /// Its final verified conductance is within tolerance of the target.
    case converged
    /// It did not respond to maximal pulses in the direction it needed.
    case stuck
    /// It used its pulse budget without ending within tolerance.
    case outOfPulses = "out_of_pulses"
}

/// What programming one tile did, per cell (row-major).
public struct TileReport: Hashable, Sendable {
    public var tile: Int
    public var rows: Int
    public var columns: Int
    public var targetSiemens: [Double]
    /// Last verified conductance, siemens (the shadow map).
    public var verifiedSiemens: [Double]
    public var outcomes: [CellOutcome]
    public var pulses: [Int]
    /// Requests sent to the board for this tile (round trips).
    public var roundTrips: Int

    public func count(_ outcome: CellOutcome) -> Int { outcomes.filter { $0 == outcome }.count }
}
