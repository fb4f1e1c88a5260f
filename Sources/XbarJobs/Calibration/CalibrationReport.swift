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
            lines.append("  \(path.padding(toLength: max(40, path.count), withPad: " ", startingAt: 0)) \(g(value.mean))\(u)\(s)")
        }
        func scalar(_ path: String, _ value: Double) {
            let u = file.uncertainties[path].map { " ± \(g($0))" } ?? (file.notMeasured.contains(path) ? "   (instrument default)" : "")
            lines.append("  \(path.padding(toLength: max(40, path.count), withPad: " ", startingAt: 0)) \(g(value))\(u)")
        }
        let nv = file.device.nonVolatile
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
            // Each population measured: the default one and every device class, in node order.
            var populations: [String?] = []
            for node in file.nodes where !populations.contains(node.deviceClass) { populations.append(node.deviceClass) }
            for deviceClass in populations {
                guard let stm = file.device.shortTermMemory(deviceClass: deviceClass) else { continue }
                let prefix = deviceClass.map { "shortTermMemoryClasses.\($0)" } ?? "shortTermMemory"
                if let deviceClass {
                    lines.append("STM device class \(deviceClass): \(file.nodes.filter { $0.deviceClass == deviceClass }.count) nodes")
                }
                row("\(prefix).baseSiemens", stm.baseSiemens)
                row("\(prefix).ceilingSiemens", stm.ceilingSiemens)
                row("\(prefix).tauSeconds", stm.tauSeconds)
                if stm.slowFraction > 0 {
                    row("\(prefix).slowTauSeconds", stm.slowTauSeconds)
                    scalar("\(prefix).slowFraction", stm.slowFraction)
                }
                row("\(prefix).incrementFraction", stm.incrementFraction)
                row("\(prefix).thresholdVolts", stm.thresholdVolts)
                scalar("\(prefix).overdriveScaleVolts", stm.overdriveScaleVolts)
                scalar("\(prefix).widthExponent", stm.widthExponent)
                scalar("\(prefix).readNoiseSpread", stm.readNoiseSpread)
                scalar("\(prefix).readDisturbFraction", stm.readDisturbFraction)
            }
            lines.append("STM time constants per node (ROW:COLUMN tau, seconds):")
            for tile in Set(file.nodes.map(\.tile)).sorted() {
                lines.append("  tile \(tile):")
                let perNode = file.nodes.filter { $0.tile == tile }.map { String(format: "%d:%d %.4g", $0.row, $0.column, $0.tauSeconds) }
                for start in stride(from: 0, to: perNode.count, by: 6) {
                    lines.append("    " + perNode[start..<min(start + 6, perNode.count)].joined(separator: "  "))
                }
            }
            lines.append("STM time constants (\(file.timeConstantGroups.count) groups, fastest first):")
            for (i, group) in file.timeConstantGroups.enumerated() {
                // Which device classes the group's nodes belong to, on boards that have classes.
                var members: [String: Int] = [:]
                for node in file.nodes where node.group == i { if let c = node.deviceClass { members[c, default: 0] += 1 } }
                let classes = members.isEmpty ? "" : " (" + members.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
                lines.append(String(format: "  group %d: tau %.4g s (%.4g to %.4g s, spread %.1f %%), %d nodes",
                                    i, group.centerSeconds, group.minSeconds, group.maxSeconds, 100 * group.relativeSpread, group.nodeCount) + classes)
            }
        }
        if let p = file.periphery {
            let a = p.parameters
            func unc(_ key: String, _ scale: Double = 1) -> String {
                p.uncertainties[key].map { " ± \(g($0 * scale))" } ?? ""
            }
            lines.append("array periphery (tile \(p.tile); column amplifiers of tiles \(a.measuredColumns.map { String($0.tile) }.joined(separator: ", "))):")
            lines.append("  wire resistance per cell pitch            \(g(a.wireOhmsPerCell))\(unc("periphery.wireOhmsPerCell")) ohm")
            lines.append("  line resistance outside the array         \(g(a.lineOhms))\(unc("periphery.lineOhms")) ohm")
            if !p.notMeasured.contains("periphery.halfSelectCurrentFraction") {
                lines.append("  half-select current fraction (sneak)      \(g(a.halfSelectCurrentFraction))\(unc("periphery.halfSelectCurrentFraction"))")
            }
            lines.append("  converter bow at mid-scale                \(g(a.adcBowLSB.mean))\(unc("periphery.adcBowLSB")) LSB")
            if !a.measuredColumns.isEmpty {
                let c = MeasuredColumns(tile: p.tile, gains: a.measuredColumns.flatMap(\.gains),
                                        offsetsAmperes: a.measuredColumns.flatMap(\.offsetsAmperes))
                lines.append(String(format: "  column gains  %.4f...%.4f, spread %.2f %% (each ± %.2f %%)", c.gains.min() ?? 0, c.gains.max() ?? 0,
                                    100 * a.senseGainSpread, 100 * (p.uncertainties["periphery.columnGain"] ?? 0)))
                lines.append(String(format: "  column offsets %.3f...%.3f uA (each ± %.3f uA)", 1e6 * (c.offsetsAmperes.min() ?? 0),
                                    1e6 * (c.offsetsAmperes.max() ?? 0), 1e6 * (p.uncertainties["periphery.columnOffsetAmperes"] ?? 0)))
            }
        }
        lines.append("held-out errors (RMS, relative to range):")
        if let e = file.heldOut.nonVolatileRelativeRMS {
            lines.append(String(format: "  pulse-response curves: %.2f %% over %d curves (%@)", 100 * e, file.heldOut.nonVolatileCurves, file.heldOut.nonVolatileHeldOut))
        }
        if let e = file.heldOut.stmRelativeRMS {
            lines.append(String(format: "  STM decay traces:      %.2f %% over %d traces (%@)", 100 * e, file.heldOut.stmTraces, file.heldOut.stmHeldOut))
        }
        if let p = file.periphery {
            lines.append(String(format: "  MVM probes:            %.2f %% of the RMS column current over %d probes (%.1f %% predicting from the reads as if the periphery were ideal)",
                                100 * p.heldOutRelativeRMS, p.heldOutProbes, 100 * p.heldOutIdealRelativeRMS))
        }
        if !file.notMeasured.isEmpty {
            lines.append("kept at the instrument's default: \(file.notMeasured.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
