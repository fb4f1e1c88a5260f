import Foundation
import XbarDevice
import XbarWire

extension Instrument {
    /// Values outside the ranges the literature reports for real devices (aihwkit and NeuroSim
    /// presets, 1T1R array and WOx reservoir measurements): legal, so not errors, but what works
    /// on a simulated board with such values may not work on silicon. Key paths are those of
    /// the instrument file.
    public var realismWarnings: [InstrumentProblem] {
        var warnings: [InstrumentProblem] = []
        func check(_ keyPath: String, _ value: Double, _ range: ClosedRange<Double>, _ what: String,
                   scale: Double = 1, unit: String = "") {
            guard !range.contains(value) else { return }
            let shown = { (x: Double) in "\(Self.rounded(x * scale))\(unit)" }
            warnings.append(InstrumentProblem(
                keyPath: keyPath,
                message: "\(what) \(shown(value)) is outside the realistic range \(shown(range.lowerBound))–\(shown(range.upperBound))"))
        }
        let nv = device.nonVolatile
        let nvPath = "device.non_volatile."
        check(nvPath + "g_min_siemens", nv.gMinSiemens.mean, 0.5e-6...5e-6, "Gmin", scale: 1e6, unit: " uS")
        check(nvPath + "g_max_siemens", nv.gMaxSiemens.mean, 25e-6...150e-6, "Gmax", scale: 1e6, unit: " uS")
        check(nvPath + "set_threshold_volts", nv.setThresholdVolts.mean, 0.7...1.5, "SET threshold", unit: " V")
        check(nvPath + "reset_threshold_volts", nv.resetThresholdVolts.mean, 0.7...1.5, "RESET threshold", unit: " V")
        check("limits.max_set_volts", Double(limits.maxSetVolts), 3.0...3.5, "maximum SET pulse", unit: " V")
        check("limits.max_reset_volts", Double(limits.maxResetVolts), 3.0...3.5, "maximum RESET pulse", unit: " V")
        check("limits.min_pulse_width_seconds", Double(limits.minPulseWidthSeconds), 50e-9...10e-6, "shortest pulse", scale: 1e9, unit: " ns")
        check("limits.max_pulse_width_seconds", Double(limits.maxPulseWidthSeconds), 50e-9...10e-6, "longest pulse", scale: 1e9, unit: " ns")
        // At mid-range the distance to either bound is half the range, so a reference pulse
        // moves half the step fraction of the range.
        check(nvPath + "set_step_fraction", nv.setStepFraction.mean / 2, 0.003...0.05,
              "SET step at mid-range with a reference pulse, as a fraction of the range,", scale: 100, unit: " %")
        check(nvPath + "reset_step_fraction", nv.resetStepFraction.mean / 2, 0.003...0.05,
              "RESET step at mid-range with a reference pulse, as a fraction of the range,", scale: 100, unit: " %")
        check(nvPath + "cycle_to_cycle_spread", nv.cycleToCycleSpread, 0.2...0.5, "cycle-to-cycle spread", scale: 100, unit: " %")
        check(nvPath + "set_step_fraction.spread", nv.setStepFraction.spread, 0.1...0.3, "device-to-device spread", scale: 100, unit: " %")
        check(nvPath + "reset_step_fraction.spread", nv.resetStepFraction.spread, 0.1...0.3, "device-to-device spread", scale: 100, unit: " %")
        check(nvPath + "read_noise_spread", nv.readNoiseSpread, 0.005...0.03, "read noise", scale: 100, unit: " %")
        check(nvPath + "stuck_at_min_rate", nv.stuckAtMinRate + nv.stuckAtMaxRate, 0.001...0.02,
              "stuck cells in total (stuck_at_min_rate + stuck_at_max_rate)", scale: 100, unit: " %")
        // The drift is a random walk in log time: its standard deviation after d decades from
        // one second on is the per-decade figure times sqrt(d); a day is log10(86400) = 4.94
        // decades.
        check(nvPath + "relaxation_spread_per_decade", nv.relaxationSpreadPerDecade * log10(86_400).squareRoot(),
              0.01...0.03, "relaxation within a day, as a fraction of the range,", scale: 100, unit: " %")
        check("read_volts", defaultReadVolts, 0.1...0.5, "non-volatile read voltage", unit: " V")
        if let f = nv.forming {
            // Forming at 1.5-3x the SET threshold under compliance, yields of 95-99.9 %
            // (DESIGN.md's table; HfOx/TaOx 1T1R forming studies).
            check(nvPath + "forming_volts", f.formingVolts.mean / nv.setThresholdVolts.mean, 1.5...3,
                  "forming voltage as a multiple of the SET threshold", unit: "x")
            check(nvPath + "never_form_rate", f.expectedYield(of: nv), 0.95...0.999,
                  "forming yield (1 - never_form_rate - over_form_rate, times the unstuck cells)", scale: 100, unit: " %")
            check(nvPath + "pristine_siemens", f.pristineSiemens.mean, 1e-10...1e-7, "pristine conductance", scale: 1e9, unit: " nS")
        }
        if let v0 = nv.conductionScaleVolts {
            check(nvPath + "conduction_scale_volts", v0, 0.2...1.0, "sinh I–V conduction scale", unit: " V")
        }
        if let forming = limits.maxFormingVolts {
            check("limits.max_forming_volts", Double(forming), 3.0...5.0, "maximum forming step", unit: " V")
        }

        // Every STM population, the default and each device class, on its own.
        let populations = [("device.short_term_memory.", device.shortTermMemory)]
            + device.shortTermMemoryClasses.sorted { $0.key < $1.key }.map { ("device.short_term_memory_classes.\($0.key).", $0.value) }
        for (stmPath, stm) in populations {
            check(stmPath + "tau_seconds", stm.tauSeconds.mean, 1e-3...100e-3, "STM time constant", scale: 1e3, unit: " ms")
            check(stmPath + "tau_seconds.spread", stm.tauSeconds.spread, 0.1...0.3, "STM time constant device-to-device spread", scale: 100, unit: " %")
            check(stmPath + "increment_fraction", stm.incrementFraction.mean, 0.01...0.1,
                  "STM increment per reference pulse, as a fraction of the ceiling,", scale: 100, unit: " %")
        }

        if tiles.contains(where: { $0.kind == .nonVolatilePassive }) && defaultBiasScheme == .grounded {
            warnings.append(InstrumentProblem(
                keyPath: "bias_scheme",
                message: "grounded bias on a board with passive tiles: without access transistors half-selected cells are not isolated; half_voltage or third_voltage is usual"))
        }
        if Double(dac.fullScaleVolts) > Double(limits.maxMVMVolts) {
            warnings.append(InstrumentProblem(
                keyPath: "dac.full_scale_volts",
                message: "\(dac.fullScaleVolts) V is above limits.max_mvm_volts (\(limits.maxMVMVolts) V): MVM inputs near full scale will be refused"))
        }
        warnings += arrayRealismWarnings
        warnings += wearRealismWarnings
        return warnings
    }

    /// Four significant digits, enough to tell a value from a bound in a message.
    private static func rounded(_ x: Double) -> String {
        guard x != 0 else { return "0" }
        let digits = 4 - Int((log10(abs(x))).rounded(.up))
        let factor = pow(10.0, Double(max(0, digits)))
        let r = (x * factor).rounded() / factor
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : "\(r)"
    }
}
