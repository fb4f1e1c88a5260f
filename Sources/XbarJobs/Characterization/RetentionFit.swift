import Foundation
import XbarStore

/// The relaxation of programmed cells fitted from a retention run's series.
///
/// The device model's relaxation is a random walk in log time from one second after
/// programming (``XbarDevice/NonVolatileCellParameters/relaxationSpreadPerDecade``), so the
/// change between two reads of a cell at `t1 < t2` has variance
/// `(spread * range)^2 * (d(t2) - d(t1)) + 2 * readNoise^2` with `d(t) = max(0, log10(t / 1 s))`.
/// Both unknowns come from a least-squares line through the squared changes of every cell
/// against their decade spans: reads before the first second give the noise, later ones the walk.
public struct RetentionFit: Hashable, Sendable {
    /// The fitted standard deviation per square-root decade, a fraction of the range.
    public var relaxationSpreadPerDecade: Double
    /// The fitted noise of one (averaged) read, siemens.
    public var readNoiseSiemens: Double
    /// The range the spread is a fraction of, siemens.
    public var rangeSiemens: Double
    /// Cells and changes between reads that went into the fit.
    public var cells: Int
    public var changes: Int
    /// The longest time since programming a read was taken at, seconds.
    public var longestSeconds: Double

    /// The retention series a retention run stores.
    public static let series = "retention"

    /// Fits the `retention` series (x: seconds since programming, y: siemens), whole or in the
    /// parts a job hands over.
    ///
    /// - Returns: nil when fewer than two cells have a change spanning time after the first second.
    public static func fit(_ parts: [CellSeries], rangeSiemens: Double) -> RetentionFit? {
        let all = CellSeries.joined(parts)
        var sxx = 0.0, sx = 0.0, sy = 0.0, sxy = 0.0, n = 0.0
        var cells = 0, longest = 0.0
        for s in all where s.series == series && s.x.count >= 2 {
            var spans = false
            for k in 1..<s.x.count {
                let dd = decades(s.x[k]) - decades(s.x[k - 1])
                let dg = s.ySiemens[k] - s.ySiemens[k - 1]
                guard dd >= 0, dg.isFinite else { continue }
                let u = rangeSiemens * rangeSiemens * dd, y = dg * dg
                sxx += u * u; sx += u; sy += y; sxy += u * y; n += 1
                if dd > 0 { spans = true }
            }
            if spans { cells += 1 }
            longest = max(longest, s.x.last ?? 0)
        }
        let det = n * sxx - sx * sx
        guard cells >= 2, det > 0 else { return nil }
        let slope = (n * sxy - sx * sy) / det
        let intercept = (sy - slope * sx) / n
        return RetentionFit(relaxationSpreadPerDecade: max(slope, 0).squareRoot(), readNoiseSiemens: max(intercept / 2, 0).squareRoot(),
                            rangeSiemens: rangeSiemens, cells: cells, changes: Int(n), longestSeconds: longest)
    }

    /// Decades of time since the relaxation started, one second after programming.
    public static func decades(_ seconds: Double) -> Double { max(0, log10(max(seconds, 1e-300))) }

    /// The standard deviation of a cell's drift from its level at one second, siemens, after `seconds`.
    public func driftSiemens(after seconds: Double) -> Double {
        relaxationSpreadPerDecade * rangeSiemens * Self.decades(seconds).squareRoot()
    }
}
