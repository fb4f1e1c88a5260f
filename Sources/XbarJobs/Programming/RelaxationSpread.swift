import Foundation
import XbarDevice

extension NonVolatileCellParameters {
    /// How far relaxation alone has moved a cell `ageSeconds` after it was last programmed:
    /// the standard deviation of the device model's random walk in log time, siemens (one step
    /// every tenth of a decade from the first second, each a `relaxationSpreadPerDecade` share
    /// of the mean range times the square root of a tenth). Zero before the first step.
    public func relaxationSpreadSiemens(ageSeconds: Double) -> Double {
        guard ageSeconds.isFinite, ageSeconds >= 1 else { return 0 }
        let perStep = NonVolatileTile.relaxationDecadesPerStep
        let steps = (log10(ageSeconds) / perStep + 1e-9).rounded(.down)
        return relaxationSpreadPerDecade * (gMaxSiemens.mean - gMinSiemens.mean) * (steps * perStep).squareRoot()
    }

    /// The relaxation floor of a tolerance: the share of cells, each exactly on target when last
    /// programmed `ageSeconds` ago (one age per cell), that relaxation alone leaves within
    /// `toleranceSiemens`. No write-verify judged by a read at that time can do better on average.
    public func relaxationFloor(toleranceSiemens: Double, ageSeconds: [Double]) -> Double {
        guard !ageSeconds.isEmpty else { return 1 }
        let shares = ageSeconds.map { age -> Double in
            let sigma = relaxationSpreadSiemens(ageSeconds: age)
            return sigma > 0 ? erf(toleranceSiemens / (sigma * 2.0.squareRoot())) : 1
        }
        return shares.reduce(0, +) / Double(shares.count)
    }
}
