import Foundation
import XbarStore

/// The on/off window of each cycled cell against cycles, and the cycle it failed at.
public struct EnduranceAnalysis: Hashable, Sendable {
    public static let onSeries = "endurance_on"
    public static let offSeries = "endurance_off"
    /// Reads in a row a window must be below the failure fraction at: a single narrow swing of
    /// a healthy cell is cycle-to-cycle noise (each pulse's step varies by 20-50 %).
    public static let confirmingReads = 2

    public struct Cell: Hashable, Sendable {
        public var tile: Int, row: Int, column: Int
        /// Cycles each window was read after.
        public var cycles: [Double]
        /// On minus off conductance, siemens.
        public var windowSiemens: [Double]
        /// The cycle the cell failed at (midway between its last good read and the first of
        /// ``confirmingReads`` failed ones in a row), nil when it lasted every cycle; 0 when it
        /// had no window from the start.
        public var failureCycle: Double?
    }

    public var cells: [Cell]
    /// The median cycles to failure, counting cells that lasted as failing later; nil when
    /// half of the cells or more lasted every cycle.
    public var medianFailureCycle: Double?
    /// The fraction of its first window a cell's window fell below to count as failed.
    public var failureWindowFraction: Double

    /// - Parameter parts: the runs' series, whole or in the parts a job hands over.
    public init(_ parts: [CellSeries], failureWindowFraction: Double) {
        self.failureWindowFraction = failureWindowFraction
        let series = CellSeries.joined(parts)
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
                } else {
                    let low = window.map { $0 < failureWindowFraction * first }
                    let confirmed = Self.confirmingReads
                    if let k = low.indices.first(where: { k in k + confirmed <= low.count && low[k..<k + confirmed].allSatisfy { $0 } }) {
                        failure = k == 0 ? on.x[0] : (on.x[k - 1] + on.x[k]) / 2
                    }
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
