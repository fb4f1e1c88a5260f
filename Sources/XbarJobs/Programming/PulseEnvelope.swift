import XbarWire

/// The pulses a job may use: the board's electrical limits in the programming direction.
/// Pulses are chosen inside it, so no request is refused for limits (limits refuse, never clamp:
/// the job must not ask for what the board would refuse).
public struct PulseEnvelope: Hashable, Sendable {
    /// Largest SET amplitude, volts.
    public var maxSetVolts: Double
    /// Largest RESET amplitude magnitude, volts.
    public var maxResetVolts: Double
    /// Shortest and longest pulse, seconds.
    public var minWidthSeconds: Double
    public var maxWidthSeconds: Double
    /// Compliance current, amperes, and worst-case energy limit, joules.
    public var complianceAmperes: Double
    public var maxEnergyJoules: Double

    public init(limits: ElectricalLimits) {
        maxSetVolts = Double(limits.maxSetVolts)
        maxResetVolts = Double(limits.maxResetVolts)
        minWidthSeconds = Double(limits.minPulseWidthSeconds)
        maxWidthSeconds = Double(limits.maxPulseWidthSeconds)
        complianceAmperes = Double(limits.complianceAmperes)
        maxEnergyJoules = Double(limits.maxPulseEnergyJoules)
    }

    /// Largest amplitude magnitude in a direction (`up`: SET), volts.
    public func maxVolts(up: Bool) -> Double {
        // One part in 10^5 below the limit, so the Float the wire carries never rounds above it.
        (up ? maxSetVolts : maxResetVolts) * (1 - 1e-5)
    }

    /// Largest useful amplitude magnitude for a cell heading for `targetSiemens`: a SET cannot
    /// take a cell past `compliance / V`, so SET amplitudes stay below compliance over 1.05 times
    /// the target (the cell may then still rise 5 % above its target).
    public func maxVolts(up: Bool, targetSiemens: Double) -> Double {
        let limit = maxVolts(up: up)
        guard up, complianceAmperes > 0, targetSiemens > 0 else { return limit }
        return min(limit, complianceAmperes / (1.05 * targetSiemens))
    }

    /// Longest width allowed at an amplitude magnitude (width and energy limits), seconds.
    public func maxWidth(atVolts volts: Double) -> Double {
        let energyBound = complianceAmperes > 0 ? maxEnergyJoules / (abs(volts) * complianceAmperes) : .infinity
        return min(maxWidthSeconds, energyBound) * (1 - 1e-5)
    }

    /// Shortest width, with the same rounding guard.
    public var minWidth: Double { minWidthSeconds * (1 + 1e-5) }
}
