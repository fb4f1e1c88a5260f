import Foundation
import Testing
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire
@testable import XbarJobs

/// The repository's instruments folder.
let instrumentsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("instruments").path

/// A board whose device model is the instrument's defaults perturbed at random (seeded): the
/// truth a calibration must recover without being told it.
func perturbed(_ d: DeviceParameters, seed: UInt64) -> DeviceParameters {
    var state = seed
    func u() -> Double {  // uniform in [-1, 1)
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
    func mean(_ p: DistributedParameter, _ by: Double = 0.15) -> DistributedParameter {
        DistributedParameter(p.mean * (1 + by * u()), spread: p.spread * (1 + 0.25 * u()))
    }
    var t = d
    t.nonVolatile.gMinSiemens = mean(d.nonVolatile.gMinSiemens)
    t.nonVolatile.gMaxSiemens = mean(d.nonVolatile.gMaxSiemens, 0.1)
    t.nonVolatile.setThresholdVolts = mean(d.nonVolatile.setThresholdVolts, 0.08)
    t.nonVolatile.resetThresholdVolts = mean(d.nonVolatile.resetThresholdVolts, 0.08)
    t.nonVolatile.setStepFraction = mean(d.nonVolatile.setStepFraction)
    t.nonVolatile.resetStepFraction = mean(d.nonVolatile.resetStepFraction)
    t.nonVolatile.overdriveScaleVolts *= 1 + 0.1 * u()
    t.nonVolatile.widthExponent *= 1 + 0.1 * u()
    t.nonVolatile.readNoiseSpread *= 1 + 0.2 * u()
    t.nonVolatile.cycleToCycleSpread *= 1 + 0.2 * u()
    t.shortTermMemory.baseSiemens = mean(d.shortTermMemory.baseSiemens)
    t.shortTermMemory.ceilingSiemens = mean(d.shortTermMemory.ceilingSiemens)
    t.shortTermMemory.tauSeconds = mean(d.shortTermMemory.tauSeconds, 0.2)
    t.shortTermMemory.slowTauSeconds = mean(d.shortTermMemory.slowTauSeconds, 0.2)
    t.shortTermMemory.incrementFraction = mean(d.shortTermMemory.incrementFraction)
    t.shortTermMemory.thresholdVolts = mean(d.shortTermMemory.thresholdVolts, 0.08)
    t.shortTermMemory.readNoiseSpread *= 1 + 0.2 * u()
    return t
}

func relativeError(_ fitted: Double, _ truth: Double) -> Double { abs(fitted - truth) / abs(truth) }

func sampleSpread(_ values: [Double]) -> Double {
    let n = Double(values.count), m = values.reduce(0, +) / n
    return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)).squareRoot() / m
}

@Suite("Calibration against a simulated board with hidden parameters", .serialized)
struct CalibrationRecoveryTests {
    @Test("calibration recovers the hidden device model of a simulated usb-4x64 board")
    func recovers() throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/usb-4x64.yaml")
        let truth = perturbed(instrument.device, seed: 2026)
        let board = SimulatedBoard(instrument: instrument, parameters: truth, seed: 99)
        // 64 cells as the CLI default; 48 STM nodes instead of 256 to keep the test short: the
        // time-constant check is per node and the population checks have 48 samples.
        let plan = try CalibrationPlan(instrument: instrument, sampleCells: 64, stateNodes: 48)
        let started = Date()
        let calibrator = Calibrator(instrument: instrument, plan: plan)
        let measured = try calibrator.measure(on: board)
        let mid = Date()
        let file = try calibrator.fit(measured, backend: board.backendDescription)
        print("measuring took \(mid.timeIntervalSince(started)) s, fitting \(Date().timeIntervalSince(mid)) s")
        print(CalibrationReport(file: file).text)

        let nv = file.device.nonVolatile, stm = file.device.shortTermMemory
        // Per-node time constants against each node's drawn value.
        var tauErrors: [Double] = []
        for node in file.nodes {
            let drawn = board.cellParameters(tile: node.tile, row: Int(node.row), column: Int(node.column)).shortTermMemory!
            tauErrors.append(relativeError(node.tauSeconds, drawn.tauSeconds))
        }
        tauErrors.sort()
        print("tau errors: median \(tauErrors[tauErrors.count / 2]), worst \(tauErrors.last!)")
        // Per-cell step parameters against drawn values.
        var setErrors: [Double] = [], resetErrors: [Double] = []
        var drawnSet: [Double] = [], drawnReset: [Double] = [], drawnTau: [Double] = []
        for cell in file.cells where cell.status == "ok" {
            let drawn = board.cellParameters(tile: cell.tile, row: Int(cell.row), column: Int(cell.column)).nonVolatile!
            setErrors.append(relativeError(cell.setStepFraction!, drawn.setStepFraction))
            resetErrors.append(relativeError(cell.resetStepFraction!, drawn.resetStepFraction))
            drawnSet.append(drawn.setStepFraction)
            drawnReset.append(drawn.resetStepFraction)
        }
        for node in file.nodes {
            drawnTau.append(board.cellParameters(tile: node.tile, row: Int(node.row), column: Int(node.column)).shortTermMemory!.tauSeconds)
        }
        setErrors.sort(); resetErrors.sort()
        print("set step errors: median \(setErrors[setErrors.count / 2]); reset: \(resetErrors[resetErrors.count / 2])")
        func show(_ name: String, _ fitted: Double, _ truth: Double) {
            print(String(format: "%@ fitted %.5g true %.5g (%.1f %%)", name, fitted, truth, 100 * (fitted - truth) / truth))
        }
        show("nv.setStepFraction.mean", nv.setStepFraction.mean, truth.nonVolatile.setStepFraction.mean)
        show("nv.resetStepFraction.mean", nv.resetStepFraction.mean, truth.nonVolatile.resetStepFraction.mean)
        show("nv.setThresholdVolts.mean", nv.setThresholdVolts.mean, truth.nonVolatile.setThresholdVolts.mean)
        show("nv.resetThresholdVolts.mean", nv.resetThresholdVolts.mean, truth.nonVolatile.resetThresholdVolts.mean)
        show("nv.setStepFraction.spread", nv.setStepFraction.spread, truth.nonVolatile.setStepFraction.spread)
        show("nv.setStepFraction.spread(sample)", nv.setStepFraction.spread, sampleSpread(drawnSet))
        show("nv.resetStepFraction.spread", nv.resetStepFraction.spread, truth.nonVolatile.resetStepFraction.spread)
        show("nv.resetStepFraction.spread(sample)", nv.resetStepFraction.spread, sampleSpread(drawnReset))
        show("nv.setThresholdVolts.spread", nv.setThresholdVolts.spread, truth.nonVolatile.setThresholdVolts.spread)
        show("nv.gMax.mean", nv.gMaxSiemens.mean, truth.nonVolatile.gMaxSiemens.mean)
        show("nv.gMax.spread", nv.gMaxSiemens.spread, truth.nonVolatile.gMaxSiemens.spread)
        show("nv.gMin.mean", nv.gMinSiemens.mean, truth.nonVolatile.gMinSiemens.mean)
        show("nv.overdrive", nv.overdriveScaleVolts, truth.nonVolatile.overdriveScaleVolts)
        show("nv.widthExponent", nv.widthExponent, truth.nonVolatile.widthExponent)
        show("nv.readNoise", nv.readNoiseSpread, truth.nonVolatile.readNoiseSpread)
        show("nv.c2c", nv.cycleToCycleSpread, truth.nonVolatile.cycleToCycleSpread)
        show("stm.tau.mean", stm.tauSeconds.mean, truth.shortTermMemory.tauSeconds.mean)
        show("stm.tau.spread", stm.tauSeconds.spread, truth.shortTermMemory.tauSeconds.spread)
        show("stm.tau.spread(sample)", stm.tauSeconds.spread, sampleSpread(drawnTau))
        show("stm.slowTau.mean", stm.slowTauSeconds.mean, truth.shortTermMemory.slowTauSeconds.mean)
        show("stm.slowFraction", stm.slowFraction, truth.shortTermMemory.slowFraction)
        show("stm.base.mean", stm.baseSiemens.mean, truth.shortTermMemory.baseSiemens.mean)
        show("stm.ceiling.mean", stm.ceilingSiemens.mean, truth.shortTermMemory.ceilingSiemens.mean)
        show("stm.increment.mean", stm.incrementFraction.mean, truth.shortTermMemory.incrementFraction.mean)
        show("stm.threshold.mean", stm.thresholdVolts.mean, truth.shortTermMemory.thresholdVolts.mean)
        show("stm.readNoise", stm.readNoiseSpread, truth.shortTermMemory.readNoiseSpread)
        show("stm.readDisturb", stm.readDisturbFraction, truth.shortTermMemory.readDisturbFraction)
        print("held out: nv \(file.heldOut.nonVolatileRelativeRMS ?? -1) stm \(file.heldOut.stmRelativeRMS ?? -1)")
    }
}

@Suite("Calibration debugging", .serialized)
struct CalibrationDebugTests {
    @Test("debug non-volatile fits")
    func debugNV() throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/usb-4x64.yaml")
        let truth = perturbed(instrument.device, seed: 2026)
        let board = SimulatedBoard(instrument: instrument, parameters: truth, seed: 99)
        var plan = try CalibrationPlan(instrument: instrument, sampleCells: 64, stateNodes: 4)
        plan.shortTermMemory = nil
        let cal = Calibrator(instrument: instrument, plan: plan)
        let m = try cal.measure(on: board)
        let file = try cal.fit(m, backend: "sim")
        print(plan.nonVolatile!.setConditions, plan.nonVolatile!.resetConditions, plan.nonVolatile!.pulsesPerCurve)
        for (i, cell) in file.cells.prefix(3).enumerated() {
            let d = board.cellParameters(tile: cell.tile, row: Int(cell.row), column: Int(cell.column)).nonVolatile!
            print("cell \(i) \(cell.status): a_set \(cell.setStepFraction ?? -1) vs \(d.setStepFraction); th_set \(cell.setThresholdVolts ?? -1) vs \(d.setThresholdVolts); a_reset \(cell.resetStepFraction ?? -1) vs \(d.resetStepFraction); th_reset \(cell.resetThresholdVolts ?? -1) vs \(d.resetThresholdVolts); gmin \(cell.gMinSiemens ?? -1) vs \(d.gMinSiemens); gmax \(cell.gMaxSiemens ?? -1) vs \(d.gMaxSiemens) held \(cell.heldOutRelativeRMS ?? -1)")
            let c = m.nonVolatile[i]
            let f = try PulseResponseFit.fit(c.setCurves)
            let truthLaw = SwitchingStrength(thresholdVolts: d.setThresholdVolts, overdriveScaleVolts: truth.nonVolatile.overdriveScaleVolts, referenceWidthSeconds: 1e-6, widthExponent: truth.nonVolatile.widthExponent)
            for (k, curve) in c.setCurves.enumerated() {
                print(String(format: "   V %.3f w %.1g rate %.4f ± %.4f true %.4f", curve.amplitudeVolts, curve.widthSeconds, f.rates[k], f.rateUncertainties[k], d.setStepFraction * truthLaw(amplitudeVolts: curve.amplitudeVolts, widthSeconds: curve.widthSeconds)))
            }
            print("   bound \(f.boundSiemens) true \(d.gMaxSiemens)")
            print("  held set curve: \(c.setCurves[2].conductancesSiemens.prefix(8).map { String(format: "%.3g", $0) })")
            print("  held reset curve: \(c.resetCurves[2].conductancesSiemens.prefix(8).map { String(format: "%.3g", $0) })")
        }
        var z: [Double] = [], rel: [Double] = []
        var zk = [[Double]](repeating: [], count: 7)
        for (i, cell) in file.cells.enumerated() where cell.status == "ok" {
            let d = board.cellParameters(tile: cell.tile, row: Int(cell.row), column: Int(cell.column)).nonVolatile!
            let c = m.nonVolatile[i]
            let floors = c.setCurves.compactMap(\.conductancesSiemens.first).sorted()
            let f = try PulseResponseFit.fit(c.resetCurves, resolutionSiemens: 40e-6 / 255 / 0.2, floorSteps: 12, fixedBoundSiemens: floors[floors.count / 2])
            if i < 3 { print("reset fit bound \(f.boundSiemens) true \(d.gMinSiemens); rates \(f.rates) unc \(f.rateUncertainties)") }
            let truthLaw = SwitchingStrength(thresholdVolts: d.resetThresholdVolts, overdriveScaleVolts: truth.nonVolatile.overdriveScaleVolts, referenceWidthSeconds: 1e-6, widthExponent: truth.nonVolatile.widthExponent)
            for (k, curve) in c.resetCurves.enumerated() {
                let t = d.resetStepFraction * truthLaw(amplitudeVolts: curve.amplitudeVolts, widthSeconds: curve.widthSeconds)
                z.append((f.rates[k] - t) / f.rateUncertainties[k]); rel.append(f.rates[k] / t - 1)
                zk[k].append((f.rates[k] - t) / f.rateUncertainties[k])
            }
        }
        var obsTrue: [[RateObservation]] = [], obsFit: [[RateObservation]] = []
        for (i, cell) in file.cells.enumerated() where cell.status == "ok" {
            let d = board.cellParameters(tile: cell.tile, row: Int(cell.row), column: Int(cell.column)).nonVolatile!
            let c = m.nonVolatile[i]
            let f = try PulseResponseFit.fit(c.setCurves)
            let truthLaw = SwitchingStrength(thresholdVolts: d.setThresholdVolts, overdriveScaleVolts: truth.nonVolatile.overdriveScaleVolts, referenceWidthSeconds: 1e-6, widthExponent: truth.nonVolatile.widthExponent)
            obsTrue.append(c.setCurves.indices.map { k in RateObservation(amplitudeVolts: c.setCurves[k].amplitudeVolts, widthSeconds: c.setCurves[k].widthSeconds, rate: d.setStepFraction * truthLaw(amplitudeVolts: c.setCurves[k].amplitudeVolts, widthSeconds: c.setCurves[k].widthSeconds), uncertainty: f.rateUncertainties[k]) })
            obsFit.append(c.setCurves.indices.map { k in RateObservation(amplitudeVolts: c.setCurves[k].amplitudeVolts, widthSeconds: c.setCurves[k].widthSeconds, rate: f.rates[k], uncertainty: f.rateUncertainties[k]) })
        }
        let guess = SwitchingStrength(thresholdVolts: 1.0, overdriveScaleVolts: 0.5, referenceWidthSeconds: 1e-6, widthExponent: 0.5)
        let lt = try SwitchingLawFit.fit(obsTrue, guess: guess, stepFractionGuess: 0.04, maxThresholdVolts: 3)
        let lf = try SwitchingLawFit.fit(obsFit, guess: guess, stepFractionGuess: 0.04, maxThresholdVolts: 3)
        print("stage2 on true rates: ov \(lt.overdriveScaleVolts) beta \(lt.widthExponent) a0 \(lt.devices[0].stepFraction) conv \(lt.converged) nrms \(lt.normalisedRMS)")
        print("stage2 on fitted rates (set only): ov \(lf.overdriveScaleVolts) ± \(lf.overdriveScaleUncertainty) beta \(lf.widthExponent) a0 \(lf.devices[0].stepFraction) conv \(lf.converged) nrms \(lf.normalisedRMS)")
        print("z rms \((z.reduce(0) { $0 + $1 * $1 } / Double(z.count)).squareRoot()) mean \(z.reduce(0, +) / Double(z.count)); rel mean \(rel.reduce(0, +) / Double(rel.count))")
        print("z mean per condition \(zk.map { $0.reduce(0, +) / Double(max(1, $0.count)) })")
        print(file.uncertainties.filter { $0.key.contains("StepFraction") })
        print("ov \(file.device.nonVolatile.overdriveScaleVolts) vs \(truth.nonVolatile.overdriveScaleVolts); beta \(file.device.nonVolatile.widthExponent) vs \(truth.nonVolatile.widthExponent)")
    }
}

extension CalibrationDebugTests {
    @Test("debug STM fits")
    func debugSTM() throws {
        let instrument = try Instrument.load(path: instrumentsDirectory + "/usb-4x64.yaml")
        let truth = perturbed(instrument.device, seed: 2026)
        let board = SimulatedBoard(instrument: instrument, parameters: truth, seed: 99)
        var plan = try CalibrationPlan(instrument: instrument, sampleCells: 0, stateNodes: 6)
        plan.nonVolatile = nil
        let s = plan.shortTermMemory!
        print("points \(s.points) interval \(s.intervalSeconds) settle \(s.settleSeconds) tail \(s.tailReadCount)x\(s.tailIntervalSeconds)")
        let cal = Calibrator(instrument: instrument, plan: plan)
        let m = try cal.measure(on: board)
        let file = try cal.fit(m, backend: "sim")
        for node in file.nodes {
            let d = board.cellParameters(tile: node.tile, row: Int(node.row), column: Int(node.column)).shortTermMemory!
            print("node \(node.row):\(node.column) tau \(node.tauSeconds) vs \(d.tauSeconds); slow \(node.slowTauSeconds ?? -1) vs \(d.slowTauSeconds) f \(node.slowFraction ?? -1); base \(node.baseSiemens) vs \(d.baseSiemens); ceil \(node.ceilingSiemens) vs \(d.ceilingSiemens); inc \(node.incrementFraction ?? -1) vs \(d.incrementFraction); th \(node.thresholdVolts ?? -1) vs \(d.thresholdVolts); held \(node.heldOutRelativeRMS ?? -1)")
        }
        let t = m.stmTraces.filter { $0.node == file.nodes.map { CellIndex(row: $0.row, column: $0.column) }[0] && $0.point >= 0 }
        for tr in t.prefix(4) { print("trace p\(tr.point) r\(tr.repetition) n\(tr.pulseCount): \(tr.conductancesSiemens.prefix(12).map { String(format: "%.3g", $0) })") }
    }
}
