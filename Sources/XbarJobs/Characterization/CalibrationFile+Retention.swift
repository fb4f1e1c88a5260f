import Foundation
import XbarStore

extension CalibrationFile {
    /// The parameter path of the relaxation in `notMeasured` and `uncertainties`.
    public static let relaxationPath = "nonVolatile.relaxationSpreadPerDecade"

    /// The calibration with its relaxation measured by a retention run: the fitted spread
    /// replaces the instrument's default and leaves `notMeasured`; its uncertainty is that of
    /// a standard deviation estimated from the run's independent changes, `spread / sqrt(2 n)`.
    public func foldingRetention(_ fit: RetentionFit) -> CalibrationFile {
        var file = self
        file.device.nonVolatile.relaxationSpreadPerDecade = fit.relaxationSpreadPerDecade
        file.notMeasured.removeAll { $0 == Self.relaxationPath }
        file.uncertainties[Self.relaxationPath] = fit.relaxationSpreadPerDecade / (2 * Double(max(fit.changes, 1))).squareRoot()
        return file
    }

    /// Folds the retention run `run` of `store` into the calibration (see ``foldingRetention(_:)``).
    ///
    /// - Throws: ``ModuleError`` when the run is no retention run or its reads fit no relaxation.
    public func foldingRetention(run: Int64, store: RunStore) throws -> CalibrationFile {
        let record = try store.run(run)
        guard record.draft.kind == "retention" else {
            throw ModuleError("--retention \(run): run \(run) is a \(record.draft.kind) run, not a retention run")
        }
        let range = device.nonVolatile.gMaxSiemens.mean - device.nonVolatile.gMinSiemens.mean
        guard let fit = RetentionFit.fit(try store.series(run: run), rangeSiemens: range) else {
            throw ModuleError("--retention \(run): run \(run) has too few reads after the first second after programming to fit a relaxation")
        }
        return foldingRetention(fit)
    }
}
