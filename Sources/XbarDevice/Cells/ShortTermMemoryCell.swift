import Foundation

/// The parameters one STM cell drew from its population (device-to-device spread).
public struct ShortTermMemoryCellDraw: Hashable, Sendable, Codable {
    public var baseSiemens: Double
    public var ceilingSiemens: Double
    public var tauSeconds: Double
    public var slowTauSeconds: Double
    public var incrementFraction: Double
    public var thresholdVolts: Double

    public init(baseSiemens: Double, ceilingSiemens: Double, tauSeconds: Double, slowTauSeconds: Double,
                incrementFraction: Double, thresholdVolts: Double) {
        self.baseSiemens = baseSiemens
        self.ceilingSiemens = ceilingSiemens
        self.tauSeconds = tauSeconds
        self.slowTauSeconds = slowTauSeconds
        self.incrementFraction = incrementFraction
        self.thresholdVolts = thresholdVolts
    }

    /// Draws a cell from the population with the cell's own stream (see ``CellStreams``);
    /// every quantity is lognormal, the increment fraction capped at 1.
    public init(drawingFrom parameters: ShortTermMemoryCellParameters, key: UInt64) {
        var generator = CellStreams.drawGenerator(key: key)
        baseSiemens = parameters.baseSiemens.drawPositive(using: &generator)
        ceilingSiemens = parameters.ceilingSiemens.drawPositive(using: &generator)
        tauSeconds = parameters.tauSeconds.drawPositive(using: &generator)
        slowTauSeconds = parameters.slowTauSeconds.drawPositive(using: &generator)
        incrementFraction = min(parameters.incrementFraction.drawPositive(using: &generator), 1)
        thresholdVolts = parameters.thresholdVolts.drawPositive(using: &generator)
    }
}

/// One STM (volatile) cell: its drawn parameters and its volatile state.
///
/// Decay is exact and lazy: the state is stored as of the last event (pulse or read) and
/// decayed in closed form to any later time, so no time stepping is ever needed.
public struct ShortTermMemoryCell: Hashable, Sendable {
    public let drawn: ShortTermMemoryCellDraw
    /// Fast volatile component at `lastEventSeconds`, siemens.
    public private(set) var fastSiemens: Double = 0
    /// Slow volatile component at `lastEventSeconds`, siemens.
    public private(set) var slowSiemens: Double = 0
    /// Time of the last event, seconds of the simulation clock.
    public private(set) var lastEventSeconds: Double = 0

    public init(drawn: ShortTermMemoryCellDraw) {
        self.drawn = drawn
    }

    /// The volatile part at time `t` (seconds, not before the last event), siemens.
    public func volatileConductance(at t: Double) -> Double {
        let dt = max(0, t - lastEventSeconds)
        return fastSiemens * exp(-dt / drawn.tauSeconds) + slowSiemens * exp(-dt / drawn.slowTauSeconds)
    }

    /// The conductance `base + g` at time `t`, siemens, without changing the cell.
    public func conductance(at t: Double) -> Double {
        drawn.baseSiemens + volatileConductance(at: t)
    }

    /// Moves the stored state to time `t` (no-op for earlier times).
    public mutating func decay(to t: Double) {
        let dt = t - lastEventSeconds
        guard dt > 0 else { return }
        fastSiemens *= exp(-dt / drawn.tauSeconds)
        slowSiemens *= exp(-dt / drawn.slowTauSeconds)
        lastEventSeconds = t
    }

    /// Adds to the volatile part without passing the ceiling, split between the components.
    private mutating func raise(by increment: Double, slowFraction: Double) {
        let room = max(0, drawn.ceilingSiemens - (fastSiemens + slowSiemens))
        let added = min(max(0, increment), room)
        slowSiemens += added * slowFraction
        fastSiemens += added * (1 - slowFraction)
    }

    /// Applies a pulse at time `t` by the law in ``ShortTermMemoryCellParameters``.
    ///
    /// A pulse at or below the threshold (or of negative amplitude) changes nothing and draws
    /// nothing. `maximumConductanceSiemens` is the compliance bound `I_compliance / V`: the
    /// pulse cannot raise `G` beyond it. Returns whether compliance limited the pulse.
    @discardableResult
    public mutating func pulse(amplitudeVolts v: Double, widthSeconds w: Double, at t: Double,
                               parameters p: ShortTermMemoryCellParameters,
                               maximumConductanceSiemens: Double = .infinity,
                               generator: inout Xoshiro256StarStar) -> Bool {
        guard v > 0 else { return false }
        let s = SwitchingStrength(thresholdVolts: drawn.thresholdVolts, overdriveScaleVolts: p.overdriveScaleVolts,
                                  referenceWidthSeconds: p.referenceWidthSeconds,
                                  widthExponent: p.widthExponent)(amplitudeVolts: v, widthSeconds: w)
        guard s > 0 else { return false }
        decay(to: t)
        let g = fastSiemens + slowSiemens
        let noise = max(0, 1 + p.cycleToCycleSpread * generator.nextNormal())
        var increment = drawn.incrementFraction * s * (drawn.ceilingSiemens - g) * noise
        let limit = maximumConductanceSiemens - drawn.baseSiemens - g
        var limited = false
        if increment > limit {
            limited = true
            increment = max(0, limit)
        }
        raise(by: increment, slowFraction: p.slowFraction)
        return limited
    }

    /// One read at time `t` and `readVolts`: returns the current in amperes with read noise,
    /// then applies the read disturb (a fraction of a reference pulse's increment).
    public mutating func read(readVolts: Double, at t: Double, parameters p: ShortTermMemoryCellParameters,
                              generator: inout Xoshiro256StarStar) -> Double {
        decay(to: t)
        let g = drawn.baseSiemens + fastSiemens + slowSiemens
        let current = g * readVolts * (1 + p.readNoiseSpread * generator.nextNormal())
        if p.readDisturbFraction > 0 {
            let increment = p.readDisturbFraction * drawn.incrementFraction
                * (drawn.ceilingSiemens - fastSiemens - slowSiemens)
            raise(by: increment, slowFraction: p.slowFraction)
        }
        return max(0, current)
    }
}
