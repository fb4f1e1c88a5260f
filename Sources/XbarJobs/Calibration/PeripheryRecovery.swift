import XbarBoard
import XbarDevice
import XbarInstrument

/// Simulation only: how far a periphery calibration is from what a simulated board drew, as
/// fractions of what was drawn (for tests and benchmarks; no real board can offer the truth).
public struct PeripheryRecovery: Sendable {
    /// Relative errors of the wire and line resistances and of the half-select fraction (nil
    /// where the board has none).
    public var wire: Double
    public var line: Double
    public var halfSelect: Double?
    /// RMS error of the column gains relative to their mean (the mismatch between columns), over
    /// the RMS drawn mismatch. The mean gain is set apart: only the models of the read and MVM
    /// paths tell it from the conductance scale the reads set.
    public var gainMismatch: Double
    /// Relative error of the mean column gain.
    public var meanGain: Double
    /// RMS error of each column's reading at zero input (offset plus the converter's bow at
    /// mid-scale: the two add there, and only the bow's curvature, fitted from the reads, splits
    /// them) over the RMS drawn zero-input reading.
    public var zeroInput: Double

    /// - Parameter tile: the tile whose columns are compared (default: the periphery tile).
    /// - Returns: nil when the calibration has no periphery or measured no column of that tile.
    public init?(_ file: CalibrationFile, board: SimulatedBoard, instrument: Instrument, tile: UInt8? = nil) {
        guard let p = file.periphery, let fitted = p.parameters.measuredColumns.first(where: { $0.tile == tile ?? p.tile }),
              let drawn = board.periphery.columns[fitted.tile], drawn.gains.count == fitted.gains.count else { return nil }
        let truth = board.periphery.parameters
        wire = abs(p.parameters.wireOhmsPerCell / truth.wireOhmsPerCell - 1)
        line = abs(p.parameters.lineOhms / truth.lineOhms - 1)
        halfSelect = truth.halfSelectCurrentFraction > 0
            ? abs(p.parameters.halfSelectCurrentFraction / truth.halfSelectCurrentFraction - 1) : nil
        let fittedMean = SampleMoments(fitted.gains).mean, drawnMean = SampleMoments(drawn.gains).mean
        var error = 0.0, spread = 0.0
        for (f, d) in zip(fitted.gains, drawn.gains) {
            let e = f / fittedMean - d / drawnMean, s = d / drawnMean - 1
            error += e * e
            spread += s * s
        }
        gainMismatch = (error / spread).squareRoot()
        meanGain = abs(fittedMean / drawnMean - 1)
        let lsb = Double(instrument.adc.mvmFullScaleAmperes) / Double((1 << (Int(instrument.adc.bits) - 1)) - 1)
        let fittedBow = p.parameters.adcBowLSB.mean * lsb, drawnBow = board.periphery.mvmNonlinearity.bowLSB * lsb
        var zeroError = 0.0, zeroSignal = 0.0
        for (f, d) in zip(fitted.offsetsAmperes, drawn.offsetsAmperes) {
            zeroError += (f + fittedBow - d - drawnBow) * (f + fittedBow - d - drawnBow)
            zeroSignal += (d + drawnBow) * (d + drawnBow)
        }
        zeroInput = (zeroError / zeroSignal).squareRoot()
    }
}
