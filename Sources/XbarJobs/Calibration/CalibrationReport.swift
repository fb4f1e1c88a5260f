import Foundation
import XbarDevice

/// A calibration file as text for people: fitted parameters with uncertainties and spreads,
/// held-out errors, and the STM time-constant groups.
public struct CalibrationReport {
    public var file: CalibrationFile

    public init(file: CalibrationFile) { self.file = file }

    public var text: String {
        var lines: [String] = []
        func g(_ x: Double) -> String { String(format: "%.4g", x) }
        func row(_ path: String, _ value: DistributedParameter) {
            let u = file.uncertainties["\(path).mean"].map { " ± \(g($0))" } ?? ""
            let s = value.spread > 0 || file.uncertainties["\(path).spread"] != nil
                ? String(format: "   d2d spread %.1f %%", 100 * value.spread) + (file.uncertainties["\(path).spread"].map { String(format: " ± %.1f", 100 * $0) } ?? "")
                : ""
            lines.append("  \(path.padding(toLength: 40, withPad: " ", startingAt: 0)) \(g(value.mean))\(u)\(s)")
        }
        func scalar(_ path: String, _ value: Double) {
            let u = file.uncertainties[path].map { " ± \(g($0))" } ?? (file.notMeasured.contains(path) ? "   (instrument default)" : "")
            lines.append("  \(path.padding(toLength: 40, withPad: " ", startingAt: 0)) \(g(value))\(u)")
        }
        let nv = file.device.nonVolatile, stm = file.device.shortTermMemory
        if !file.cells.isEmpty {
            let stuck = file.cells.filter { $0.status.hasPrefix("stuck") }.count
            lines.append("non-volatile cells: \(file.cells.count) measured, \(stuck) stuck")
            row("nonVolatile.gMinSiemens", nv.gMinSiemens)
            row("nonVolatile.gMaxSiemens", nv.gMaxSiemens)
            row("nonVolatile.setThresholdVolts", nv.setThresholdVolts)
            row("nonVolatile.resetThresholdVolts", nv.resetThresholdVolts)
            row("nonVolatile.setStepFraction", nv.setStepFraction)
            row("nonVolatile.resetStepFraction", nv.resetStepFraction)
            scalar("nonVolatile.overdriveScaleVolts", nv.overdriveScaleVolts)
            scalar("nonVolatile.widthExponent", nv.widthExponent)
            scalar("nonVolatile.cycleToCycleSpread", nv.cycleToCycleSpread)
            scalar("nonVolatile.readNoiseSpread", nv.readNoiseSpread)
            scalar("nonVolatile.stuckAtMinRate", nv.stuckAtMinRate)
            scalar("nonVolatile.stuckAtMaxRate", nv.stuckAtMaxRate)
        }
        if !file.nodes.isEmpty {
            lines.append("STM nodes: \(file.nodes.count) fitted")
            row("shortTermMemory.baseSiemens", stm.baseSiemens)
            row("shortTermMemory.ceilingSiemens", stm.ceilingSiemens)
            row("shortTermMemory.tauSeconds", stm.tauSeconds)
            if stm.slowFraction > 0 {
                row("shortTermMemory.slowTauSeconds", stm.slowTauSeconds)
                scalar("shortTermMemory.slowFraction", stm.slowFraction)
            }
            row("shortTermMemory.incrementFraction", stm.incrementFraction)
            row("shortTermMemory.thresholdVolts", stm.thresholdVolts)
            scalar("shortTermMemory.overdriveScaleVolts", stm.overdriveScaleVolts)
            scalar("shortTermMemory.widthExponent", stm.widthExponent)
            scalar("shortTermMemory.readNoiseSpread", stm.readNoiseSpread)
            scalar("shortTermMemory.readDisturbFraction", stm.readDisturbFraction)
            lines.append("STM time constants (\(file.timeConstantGroups.count) groups, fastest first):")
            for (i, group) in file.timeConstantGroups.enumerated() {
                lines.append(String(format: "  group %d: tau %.4g s (%.4g to %.4g s, spread %.1f %%), %d nodes",
                                    i, group.centerSeconds, group.minSeconds, group.maxSeconds, 100 * group.relativeSpread, group.nodeCount))
            }
        }
        lines.append("held-out errors (RMS, relative to range):")
        if let e = file.heldOut.nonVolatileRelativeRMS {
            lines.append(String(format: "  pulse-response curves: %.2f %% over %d curves (%@)", 100 * e, file.heldOut.nonVolatileCurves, file.heldOut.nonVolatileHeldOut))
        }
        if let e = file.heldOut.stmRelativeRMS {
            lines.append(String(format: "  STM decay traces:      %.2f %% over %d traces (%@)", 100 * e, file.heldOut.stmTraces, file.heldOut.stmHeldOut))
        }
        if !file.notMeasured.isEmpty {
            lines.append("kept at the instrument's default: \(file.notMeasured.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
