import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
@testable import XbarJobs

/// The calibration starts its fits from the instrument's defaults. A fit that stopped at its
/// starting guess would still pass checks on boards whose truth lies near the defaults, so here
/// the truth is moved far from them: the overdrive scale by +40 % and the width exponent by
/// -35 %, well beyond the 10 % the recovery checks allow.
@Suite("calibration recovers the switching law from a starting guess far from the truth", .serialized)
struct FarGuessRecoveryTests {
    @Test("overdrive scale and width exponent moved far from the defaults are recovered within 10 %",
          arguments: [(1.4, 0.65), (0.7, 1.35)] as [(Double, Double)])
    func farFromTheDefaults(overdriveFactor: Double, exponentFactor: Double) throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/usb-4x64.yaml")
        var truth = perturbed(instrument.device, seed: 11)
        truth.nonVolatile.overdriveScaleVolts = instrument.device.nonVolatile.overdriveScaleVolts * overdriveFactor
        truth.nonVolatile.widthExponent = instrument.device.nonVolatile.widthExponent * exponentFactor
        let board = SimulatedBoard(instrument: instrument, parameters: truth, seed: 211)
        // The switching law alone: the periphery part is fitted apart and checked in its own suite.
        var plan = try CalibrationPlan(instrument: instrument, sampleCells: 64, stateNodes: 0, peripheryProbes: 0)
        plan.shortTermMemory = []
        let (file, _) = try Calibrator(instrument: instrument, plan: plan).calibrate(on: board)
        let nv = file.device.nonVolatile
        let guess = instrument.device.nonVolatile
        #expect(relativeError(nv.overdriveScaleVolts, truth.nonVolatile.overdriveScaleVolts) < 0.1,
                "overdrive scale \(nv.overdriveScaleVolts) V vs true \(truth.nonVolatile.overdriveScaleVolts) V (guess \(guess.overdriveScaleVolts) V)")
        #expect(relativeError(nv.widthExponent, truth.nonVolatile.widthExponent) < 0.1,
                "width exponent \(nv.widthExponent) vs true \(truth.nonVolatile.widthExponent) (guess \(guess.widthExponent))")
        // The answer left the guess: nearer the truth than the guess by far.
        #expect(relativeError(nv.overdriveScaleVolts, guess.overdriveScaleVolts) > 0.2)
        #expect(relativeError(nv.widthExponent, guess.widthExponent) > 0.2)
    }
}
