import Foundation

/// The wear of every cell of one non-volatile tile: cycles counted so far and each cell's drawn
/// cycles to failure (see ``NonVolatileWearParameters``).
///
/// Wear is counted, not simulated: a cell's window at any cycle count is a closed form of that
/// count, so a run of a million identical SET/RESET cycles costs no more than its first few
/// (``NonVolatileTile/cycle(row:column:set:reset:count:at:cycleSeconds:complianceAmperes:generator:)``).
public final class TileWear {
    public let parameters: NonVolatileWearParameters
    /// Each cell's drawn cycles to failure, row-major.
    public let failureCycles: [Double]
    /// Whether each cell fails stuck at its worn `gMax` (else at its worn `gMin`).
    public let failsHigh: [Bool]
    /// Completed SET/RESET cycles of each cell, row-major.
    @exclusivity(unchecked) public private(set) var cycles: [Double]
    /// The polarity of each cell's last above-threshold pulse: +1 SET, -1 RESET, 0 none yet.
    @exclusivity(unchecked) private var lastPolarity: [Int8]

    /// Draws every cell's endurance from its own stream (a stream apart from the cell's other
    /// draws, so wear leaves them as they were).
    public init(parameters: NonVolatileWearParameters, keys: [UInt64]) {
        self.parameters = parameters
        var failures: [Double] = [], high: [Bool] = []
        failures.reserveCapacity(keys.count)
        high.reserveCapacity(keys.count)
        for key in keys {
            var g = Xoshiro256StarStar(seed: key ^ 0x0E4D_0A4C_E000_0001)
            failures.append(parameters.enduranceMedianCycles * exp(parameters.enduranceLogSpread * g.nextNormal()))
            high.append(g.nextOpenUnit() < parameters.failureStuckHighFraction)
        }
        failureCycles = failures
        failsHigh = high
        cycles = [Double](repeating: 0, count: keys.count)
        lastPolarity = [Int8](repeating: 0, count: keys.count)
    }

    /// The fraction of the fresh window cell `i` has lost after `n` cycles (before failure).
    @inline(__always)
    public func windowLoss(_ i: Int, cycles n: Double) -> Double {
        guard n > 0 else { return 0 }
        return parameters.windowLossAtFailure * pow(min(n / failureCycles[i], 1), parameters.windowLossExponent)
    }

    /// The cell's draw with both bounds moved inwards by its wear: what a pulse sees now.
    @inline(__always)
    func worn(_ draw: NonVolatileCellDraw, _ i: Int) -> NonVolatileCellDraw {
        let loss = windowLoss(i, cycles: cycles[i])
        guard loss > 0 else { return draw }
        var d = draw
        let shift = loss * (draw.gMaxSiemens - draw.gMinSiemens) / 2
        d.gMinSiemens += shift
        d.gMaxSiemens -= shift
        return d
    }

    /// Counts an above-threshold pulse of `polarity` (+1 SET, -1 RESET) on cell `i`: a RESET
    /// after a SET completes a cycle. Returns whether the cell has now reached its failure.
    @inline(__always)
    func count(_ i: Int, polarity: Int8) -> Bool {
        defer { lastPolarity[i] = polarity }
        guard polarity < 0 && lastPolarity[i] > 0 else { return false }
        cycles[i] += 1
        return cycles[i] >= failureCycles[i]
    }

    /// Adds `n` whole cycles to cell `i` without pulsing (a run of identical cycles between
    /// its simulated first and last ones), stopping at failure. Returns whether it failed.
    func skip(_ i: Int, cycles n: Double) -> Bool {
        cycles[i] = min(cycles[i] + n, failureCycles[i])
        return cycles[i] >= failureCycles[i]
    }

    /// The stuck draw of a cell that failed: its worn bounds at failure, stuck at one of them.
    func failed(_ draw: NonVolatileCellDraw, _ i: Int) -> NonVolatileCellDraw {
        var d = worn(draw, i)
        d.stuck = failsHigh[i] ? .atMax : .atMin
        return d
    }

    /// How far a pulse of `v` volts and `w` seconds moves a cell towards the bound of its
    /// polarity when it is at or below the cell's threshold, as a fraction of the distance.
    @inline(__always)
    func disturbFraction(_ draw: NonVolatileCellDraw, volts v: Double, widthSeconds w: Double,
                         referenceWidthSeconds: Double, widthExponent: Double) -> Double {
        guard parameters.disturbStepFraction > 0, v != 0 else { return 0 }
        let threshold = v > 0 ? draw.setThresholdVolts : draw.resetThresholdVolts
        let below = threshold - abs(v)
        guard below >= 0, below < parameters.disturbReachVolts else { return 0 }
        return min(1, parameters.disturbStepFraction * exp(-below / parameters.disturbScaleVolts)
                   * pow(w / referenceWidthSeconds, widthExponent))
    }
}
