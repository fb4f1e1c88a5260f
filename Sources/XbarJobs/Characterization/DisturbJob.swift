import Foundation
import XbarBoard
import XbarStore
import XbarWire

/// Pulses one cell over and over under a bias scheme and watches the half-selected cells of
/// its row: how many pulses it takes to move them by a fraction of the range
/// (``DisturbAnalysis``).
public final class DisturbJob {
    public let board: any Board
    public let tile: UInt8
    public let aggressor: CellIndex
    public let victims: [CellIndex]
    public let stress: ModulePulse
    public let scheme: BiasScheme
    public let maxPulses: Int
    public let readVolts: Double
    public let averages: Int
    public let maxPulsesPerBatch: Int
    public var onPulses: ((Int, Int) -> Void)?
    public var shouldStop: (() -> Bool)?

    public init(board: any Board, tile: UInt8, aggressor: CellIndex, victims: [CellIndex], stress: ModulePulse, scheme: BiasScheme,
                maxPulses: Int, readVolts: Double, averages: Int, maxPulsesPerBatch: Int) {
        self.board = board
        self.tile = tile
        self.aggressor = aggressor
        self.victims = victims
        self.stress = stress
        self.scheme = scheme
        self.maxPulses = maxPulses
        self.readVolts = readVolts
        self.averages = averages
        self.maxPulsesPerBatch = maxPulsesPerBatch
    }

    /// The `count` half-selected cells of `aggressor`'s row nearest to it.
    ///
    /// Its row, not its column: a passive tile's read of a cell carries part of the current of
    /// the other cells of its column, and the other cells of the aggressor's column are being
    /// disturbed too, so a column neighbour's read would move with all of them.
    public static func neighbours(of aggressor: CellIndex, columns: Int, count: Int) -> [CellIndex] {
        (0..<columns).filter { $0 != Int(aggressor.column) }
            .sorted { (abs($0 - Int(aggressor.column)), $0) < (abs($1 - Int(aggressor.column)), $1) }
            .prefix(count).sorted().map { CellIndex(row: aggressor.row, column: UInt16($0)) }
    }

    /// The series name of a scheme's reads.
    public static func series(_ scheme: BiasScheme) -> String { "disturb_\(scheme)" }

    /// Saturates the aggressor with its own pulses and prepares the victims with `preparation`
    /// (both grounded, disturbing nothing), reads the victims, then
    /// stresses the aggressor in doubling rounds (1, 2, 4, ... pulses in all) up to `maxPulses`,
    /// reading the victims after each; `record` gets the reads.
    public func run(preparation: [ModulePulse], record: ([CellSeries]) throws -> Void) throws {
        // The stressed cell is first driven as far as its own pulses take it: a passive tile's
        // reads of its column carry part of its current, which must not change during the stress.
        let saturation = Array(repeating: stress, count: 64)
        for batch in pulseBatches(tile: tile, scheme: .grounded, [(aggressor, saturation)] + victims.map { ($0, preparation) },
                                  maxPulses: maxPulsesPerBatch) {
            _ = try board.pulseBatch(batch)
        }
        let selection = CellSet.list(tile: tile, victims)
        func read(after pulses: Int) throws {
            let g = try board.readConductances(selection, readVolts: readVolts, averages: averages)
            try record(zip(victims, g).map { cell, siemens in
                CellSeries(series: Self.series(scheme), tile: Int(tile), row: Int(cell.row), column: Int(cell.column),
                           x: [Double(pulses)], ySiemens: [siemens])
            })
        }
        try read(after: 0)
        var applied = 0
        var round = 1
        while applied < maxPulses {
            if shouldStop?() == true { throw JobInterrupted() }
            let n = min(round, maxPulses - applied)
            for batch in pulseBatches(tile: tile, scheme: scheme, [(aggressor, Array(repeating: stress, count: n))], maxPulses: maxPulsesPerBatch) {
                _ = try board.pulseBatch(batch)
            }
            applied += n
            round = applied
            try read(after: applied)
            onPulses?(applied, maxPulses)
        }
    }
}

/// How many disturbing pulses moved the half-selected cells by `thresholdFraction` of the range.
public struct DisturbAnalysis: Hashable, Sendable {
    public struct Scheme: Hashable, Sendable {
        public var series: String
        /// Each victim's count (the first read at or past the threshold), nil when none was.
        public var counts: [Int?]
        /// The median count, nil when half of the victims or more were never moved that far.
        public var medianPulses: Int?
        public var maxPulses: Int
    }

    public var schemes: [Scheme]

    /// - Parameter parts: the runs' series, whole or in the parts a job hands over.
    public init(_ parts: [CellSeries], rangeSiemens: Double, thresholdFraction: Double = 0.01) {
        let series = CellSeries.joined(parts)
        var bySeries: [String: [CellSeries]] = [:]
        var order: [String] = []
        for s in series where s.series.hasPrefix("disturb_") {
            if bySeries[s.series] == nil { order.append(s.series) }
            bySeries[s.series, default: []].append(s)
        }
        schemes = order.map { name in
            let cells = bySeries[name]!
            let counts: [Int?] = cells.map { s in
                guard let g0 = s.ySiemens.first else { return nil }
                return s.ySiemens.indices.first { abs(s.ySiemens[$0] - g0) >= thresholdFraction * rangeSiemens }.map { Int(s.x[$0]) }
            }
            let sorted = counts.map { $0.map(Double.init) ?? .infinity }.sorted()
            let median = sorted.isEmpty ? Double.infinity : sorted[(sorted.count - 1) / 2]
            return Scheme(series: name, counts: counts, medianPulses: median.isFinite ? Int(median) : nil,
                          maxPulses: Int(cells.compactMap { $0.x.last }.max() ?? 0))
        }
    }
}
