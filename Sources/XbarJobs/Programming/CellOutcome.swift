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
    /// Converter conversions: every cell read, once per averaged read.
    public var conversions: Int
    /// Pulses and conversions the relaxation passes took (included in the totals).
    public var relaxationPulses: Int
    public var relaxationConversions: Int
    /// The read-back after the run, siemens, row-major (nil when none was asked for).
    public var readBackSiemens: [Double]?
    /// The tolerance the run programmed to, siemens.
    public var toleranceSiemens: Double
    /// The cells the run programmed (row-major indices), or nil for all: a touch-up's others
    /// were neither read nor pulsed, and their outcomes and conductances say nothing.
    public var programmedCells: [Int]? = nil

    public func count(_ outcome: CellOutcome) -> Int { outcomes.filter { $0 == outcome }.count }

    /// What the read-back found: cells within the tolerance of their targets, among the cells
    /// the run did not find stuck; nil without a read-back.
    public var readBackYield: (within: Int, cells: Int)? {
        guard let readBackSiemens else { return nil }
        var within = 0, cells = 0
        for i in programmedCells ?? Array(outcomes.indices) where outcomes[i] != .stuck {
            cells += 1
            if abs(readBackSiemens[i] - targetSiemens[i]) <= toleranceSiemens { within += 1 }
        }
        return (within, cells)
    }
}
