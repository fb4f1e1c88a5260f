import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire
@testable import XbarJobs

/// A periphery drawn at random (seeded) across the realistic ranges: the truth a calibration
/// must recover without being told it.
func hiddenPeriphery(seed: UInt64, passive: Bool) -> ArrayPeripheryParameters {
    var random = Xoshiro256StarStar(seed: seed)
    func uniform(_ range: ClosedRange<Double>) -> Double { range.lowerBound + (range.upperBound - range.lowerBound) * random.nextOpenUnit() }
    return ArrayPeripheryParameters(
        wireOhmsPerCell: uniform(0.5...3), lineOhms: uniform(10...50), senseGainSpread: uniform(0.01...0.03),
        senseOffsetSpread: uniform(0.002...0.01), adcBowLSB: DistributedParameter(uniform(0.5...2), spread: 0.3),
        adcCodeNoiseLSB: uniform(0...0.4), halfSelectCurrentFraction: passive ? uniform(0.1...(1.0 / 3)) : 0)
}

/// The calibration's periphery part alone, through the code `xbar calibrate` runs.
func calibratePeriphery(_ instrument: Instrument, truth: ArrayPeripheryParameters, seed: UInt64) throws -> (PeripheryCalibration, SimulatedBoard) {
    let board = SimulatedBoard(instrument: instrument, periphery: truth, seed: seed)
    var plan = try CalibrationPlan(instrument: instrument)
    plan.nonVolatile = nil
    plan.shortTermMemory = nil
    let (file, _) = try Calibrator(instrument: instrument, plan: plan).calibrate(on: board)
    return (try #require(file.periphery), board)
}

@Suite("Calibration of the array periphery against hidden draws", .serialized)
struct PeripheryRecoveryTests {
    func check(_ name: String, seeds: [UInt64]) throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/\(name).yaml")
        let passive = instrument.weightTiles.contains { $0.kind == .nonVolatilePassive }
        for seed in seeds {
            let truth = hiddenPeriphery(seed: seed, passive: passive)
            let (cal, board) = try calibratePeriphery(instrument, truth: truth, seed: seed &* 7 &+ 1)
            let p = cal.parameters
            let drawn = board.periphery.columns[cal.tile]!
            let fitted = p.measuredColumns[0]
            let gainError = zip(fitted.gains, drawn.gains).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(drawn.gains.count)
            let gainSpread = drawn.gains.map { ($0 - 1) * ($0 - 1) }.reduce(0, +) / Double(drawn.gains.count)
            let offsetError = zip(fitted.offsetsAmperes, drawn.offsetsAmperes).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(drawn.gains.count)
            let offsetSpread = drawn.offsetsAmperes.map { $0 * $0 }.reduce(0, +) / Double(drawn.gains.count)
            let lsb = Double(instrument.adc.mvmFullScaleAmperes) / 127
            let zeroError = zip(fitted.offsetsAmperes, drawn.offsetsAmperes).map { f, d in
                let e = (f + p.adcBowLSB.mean * lsb) - (d + board.periphery.mvmNonlinearity.bowLSB * lsb)
                return e * e
            }.reduce(0, +) / Double(drawn.gains.count)
            print("zero-input \((zeroError / offsetSpread).squareRoot()) gain rms \(gainError.squareRoot()) spread \(gainSpread.squareRoot())")
            print("\(name) seed \(seed): wire \(p.wireOhmsPerCell) vs \(truth.wireOhmsPerCell), line \(p.lineOhms) vs \(truth.lineOhms), f \(p.halfSelectCurrentFraction) vs \(truth.halfSelectCurrentFraction), gains rms err/spread \((gainError / gainSpread).squareRoot()), offsets \((offsetError / offsetSpread).squareRoot()), bow \(p.adcBowLSB.mean) vs \(board.periphery.mvmNonlinearity.bowLSB), held-out \(cal.heldOutRelativeRMS) ideal \(cal.heldOutIdealRelativeRMS), fit \(cal.fitResidualRelativeRMS) unc \(cal.uncertainties)")
        }
    }

    @Test("usb-4x64")
    func usb() throws { try check("usb-4x64", seeds: [3, 4, 5]) }

    @Test("serial-32x32")
    func serial() throws { try check("serial-32x32", seeds: [1, 2, 3]) }
}
