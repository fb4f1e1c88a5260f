import Foundation
import XbarStore

/// The on/off window of each cycled cell against cycles, and the cycle it failed at.
public struct EnduranceAnalysis: Hashable, Sendable {
    public static let onSeries = "endurance_on"
    public static let offSeries = "endurance_off"

    public struct Cell: Hashable, Sendable {
        public var tile: Int, row: Int, column: Int
        /// Cycles each window was read after.
        public var cycles: [Double]
        /// On minus off conductance, siemens.
        public var windowSiemens: [Double]
        /// The cycle the cell failed at (midway between its last good read and its first failed
        /// one), nil when it lasted every cycle; 0 when it had no window from the start.
        public var failureCycle: Double?
    }

    public var cells: [Cell]
    /// The median cycles to failure, counting cells that lasted as failing later; nil when
    /// half of the cells or more lasted every cycle.
    public var medianFailureCycle: Double?
    /// The fraction of its first window a cell's window fell below to count as failed.
    public var failureWindowFraction: Double

    public init(_ series: [CellSeries], failureWindowFraction: Double) {
        self.failureWindowFraction = failureWindowFraction
        let off = Dictionary(series.filter { $0.series == Self.offSeries }.map { ("\($0.tile)/\($0.row)/\($0.column)", $0) },
                             uniquingKeysWith: { a, _ in a })
        var cells: [Cell] = []
        for on in series where on.series == Self.onSeries {
            guard let low = off["\(on.tile)/\(on.row)/\(on.column)"] else { continue }
            let n = min(on.x.count, low.x.count)
            let window = (0..<n).map { on.ySiemens[$0] - low.ySiemens[$0] }
            var failure: Double?
            if let first = window.first {
                if first <= 0 {
                    failure = 0
                } else if let k = window.firstIndex(where: { $0 < failureWindowFraction * first }) {
                    failure = k == 0 ? on.x[0] : (on.x[k - 1] + on.x[k]) / 2
                }
            }
            cells.append(Cell(tile: on.tile, row: on.row, column: on.column, cycles: Array(on.x.prefix(n)), windowSiemens: window,
                              failureCycle: failure))
        }
        self.cells = cells
        let failures = cells.map { $0.failureCycle ?? .infinity }.sorted()
        if failures.isEmpty {
            medianFailureCycle = nil
        } else {
            let m = failures.count % 2 == 1 ? failures[failures.count / 2]
                : (failures[failures.count / 2 - 1] + failures[failures.count / 2]) / 2
            medianFailureCycle = m.isFinite ? m : nil
        }
    }
}
