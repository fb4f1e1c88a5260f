import Foundation
import XbarDevice
import XbarWire

/// A pulse of a characterization module: volts (positive SETs, negative RESETs) and seconds,
/// checked against the instrument's limits before anything is sent.
public struct ModulePulse: Hashable, Sendable, CustomStringConvertible {
    public var volts: Double
    public var seconds: Double

    /// - Throws: ``ModuleError`` naming `what` and the limit when the board would refuse it.
    public init(volts: Double, seconds: Double, _ what: String, limits: ElectricalLimits) throws(ModuleError) {
        if let fault = limits.checkPulse(amplitudeVolts: Float(volts), widthSeconds: Float(seconds)) {
            throw ModuleError("\(what) of \(volts) V, \(seconds) s: \(fault.message)")
        }
        self.volts = volts
        self.seconds = seconds
    }

    public var description: String { String(format: "%.3g V, %.3g s", volts, seconds) }

    func on(_ cell: CellIndex) -> CellPulse {
        CellPulse(cell: cell, amplitudeVolts: Float(volts), widthSeconds: Float(seconds))
    }
}

/// What a characterization module refuses, in words naming the option or value at fault.
public struct ModuleError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension NonVolatileCellParameters {
    /// A SET pulse that moves a typical cell by its reference step: one overdrive scale above
    /// the mean SET threshold, at the reference width.
    public func referenceSet(limits: ElectricalLimits) throws(ModuleError) -> ModulePulse {
        try ModulePulse(volts: setThresholdVolts.mean + overdriveScaleVolts, seconds: referenceWidthSeconds,
                        "the reference SET pulse", limits: limits)
    }

    /// A strong RESET: two overdrive scales beyond the mean RESET threshold, at the reference width.
    public func strongReset(limits: ElectricalLimits) throws(ModuleError) -> ModulePulse {
        try ModulePulse(volts: -(resetThresholdVolts.mean + 2 * overdriveScaleVolts), seconds: referenceWidthSeconds,
                        "the strong RESET pulse", limits: limits)
    }

    /// The SET and RESET of an endurance cycle: three overdrive scales beyond the mean
    /// thresholds at the reference width, so that a typical cell swings over about a third of
    /// its range or more every cycle (each pulse moves it about ten reference steps).
    public func switchingPair(limits: ElectricalLimits) throws(ModuleError) -> (set: ModulePulse, reset: ModulePulse) {
        (try ModulePulse(volts: setThresholdVolts.mean + 3 * overdriveScaleVolts, seconds: referenceWidthSeconds,
                         "the endurance SET pulse", limits: limits),
         try ModulePulse(volts: -(resetThresholdVolts.mean + 3 * overdriveScaleVolts), seconds: referenceWidthSeconds,
                         "the endurance RESET pulse", limits: limits))
    }

    /// Pulses that take typical cells from anywhere to about mid-range: strong RESETs down to
    /// the bottom, then as many reference SETs as close half the distance to the top.
    public func midRangePulses(limits: ElectricalLimits) throws(ModuleError) -> [ModulePulse] {
        let reset = try strongReset(limits: limits), set = try referenceSet(limits: limits)
        let step = min(max(setStepFraction.mean, 1e-3), 0.9)
        let sets = max(1, Int((log(0.5) / log(1 - step)).rounded()))
        return Array(repeating: reset, count: 24) + Array(repeating: set, count: sets)
    }
}

/// Splits per-cell pulse lists into PULSE_BATCH requests of at most `maxPulses` pulses, never
/// splitting a cell's list in the middle of a SET/RESET pair.
func pulseBatches(tile: UInt8, scheme: BiasScheme, _ perCell: [(CellIndex, [ModulePulse])], maxPulses: Int) -> [PulseBatch] {
    var batches: [PulseBatch] = []
    var current: [CellPulse] = []
    let limit = max(2, maxPulses - maxPulses % 2)
    for (cell, pulses) in perCell {
        for p in pulses {
            if current.count >= limit {
                batches.append(PulseBatch(tile: tile, scheme: scheme, verify: nil, pulses: current))
                current = []
            }
            current.append(p.on(cell))
        }
    }
    if !current.isEmpty { batches.append(PulseBatch(tile: tile, scheme: scheme, verify: nil, pulses: current)) }
    return batches
}
