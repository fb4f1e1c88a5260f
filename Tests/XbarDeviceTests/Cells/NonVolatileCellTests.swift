import Testing
import XbarDevice

@Suite("Non-volatile cell switching")
struct NonVolatileCellTests {
    let p = TestParameters.nonVolatile

    @Test("over 10k random pulses SET never lowers and RESET never raises G, which stays within the cell's [Gmin, Gmax]")
    func randomPulsesStayInBounds() {
        let cell = TestParameters.freeCell()
        var noise = Xoshiro256StarStar(seed: 3)
        var pick = Xoshiro256StarStar(seed: 4)
        var g = cell.gMinSiemens
        var sets = 0, resets = 0
        for _ in 0..<10_000 {
            let set = pick.next() & 1 == 0
            let volts = (set ? 1 : -1) * (0.5 + 2.8 * pick.nextOpenUnit())
            let width = 50e-9 + 10e-6 * pick.nextOpenUnit()
            guard let next = cell.conductanceAfterPulse(from: g, amplitudeVolts: volts, widthSeconds: width, parameters: p, generator: &noise) else { continue }
            if set { #expect(next >= g); sets += 1 } else { #expect(next <= g); resets += 1 }
            #expect(next >= cell.gMinSiemens && next <= cell.gMaxSiemens)
            g = next
        }
        #expect(sets > 2000 && resets > 2000)
    }

    @Test("pulses at or below threshold do nothing at all: no change, no random number drawn")
    func subThresholdDoesNothing() {
        let cell = TestParameters.freeCell()
        var noise = Xoshiro256StarStar(seed: 3)
        var twin = noise
        #expect(cell.conductanceAfterPulse(from: 50e-6, amplitudeVolts: cell.setThresholdVolts, widthSeconds: 10e-6, parameters: p, generator: &noise) == nil)
        #expect(cell.conductanceAfterPulse(from: 50e-6, amplitudeVolts: -cell.resetThresholdVolts, widthSeconds: 10e-6, parameters: p, generator: &noise) == nil)
        #expect(cell.conductanceAfterPulse(from: 50e-6, amplitudeVolts: 0.5 * cell.setThresholdVolts, widthSeconds: 10e-6, parameters: p, generator: &noise) == nil)
        #expect(noise.next() == twin.next())
    }

    /// Mean step over `n` pulses from the same starting conductance.
    func meanStep(_ cell: NonVolatileCellDraw, volts: Double, width: Double, from g: Double, n: Int = 4000) -> Double {
        var noise = Xoshiro256StarStar(seed: 10)
        var sum = 0.0
        for _ in 0..<n {
            sum += abs(cell.conductanceAfterPulse(from: g, amplitudeVolts: volts, widthSeconds: width, parameters: p, generator: &noise)! - g)
        }
        return sum / Double(n)
    }

    @Test("the mean SET step from mid-range is setStep * s(V, w) * (Gmax - G), and grows with overdrive and width")
    func stepGrowsWithOverdriveAndWidth() {
        let cell = TestParameters.freeCell()
        let g = (cell.gMinSiemens + cell.gMaxSiemens) / 2
        func law(_ v: Double, _ w: Double) -> Double {
            cell.setStepFraction * (cell.gMaxSiemens - g) * SwitchingStrength(
                thresholdVolts: cell.setThresholdVolts, overdriveScaleVolts: p.overdriveScaleVolts,
                referenceWidthSeconds: p.referenceWidthSeconds, widthExponent: p.widthExponent)(amplitudeVolts: v, widthSeconds: w)
        }
        let moderate = cell.setThresholdVolts + 0.5
        let small = meanStep(cell, volts: moderate, width: 1e-6, from: g)
        let larger = meanStep(cell, volts: moderate + 0.3, width: 1e-6, from: g)
        let longer = meanStep(cell, volts: moderate, width: 4e-6, from: g)
        // c2c spread 0.3 over 4000 pulses: the mean has relative SE 0.3/sqrt(4000) = 0.47 %;
        // 5 SE = 2.4 %. (Flooring 1 + 0.3 xi at 0 changes the mean by under 1e-5.)
        #expect(abs(small / law(moderate, 1e-6) - 1) < 0.024)
        #expect(abs(larger / law(moderate + 0.3, 1e-6) - 1) < 0.024)
        #expect(abs(longer / law(moderate, 4e-6) - 1) < 0.024)
        // s = 1 at the reference point: a moderate SET from mid-range moves 2.5 % of the range.
        #expect(abs(small / (cell.gMaxSiemens - cell.gMinSiemens) - cell.setStepFraction / 2) < 0.024 * cell.setStepFraction / 2)
        #expect(larger > 1.5 * small)
        // Width exponent 0.5: four times the width doubles the step.
        #expect(abs(longer / small - 2) < 0.1)
    }

    @Test("RESET is asymmetric: it moves its own fraction of the distance to Gmin")
    func resetFraction() {
        let cell = TestParameters.freeCell()
        let g = (cell.gMinSiemens + cell.gMaxSiemens) / 2
        let volts = -(cell.resetThresholdVolts + 0.5)
        let mean = meanStep(cell, volts: volts, width: 1e-6, from: g)
        // s = 1: the mean RESET step is resetStep * (G - Gmin), within 5 SE (2.4 %).
        #expect(abs(mean / (cell.resetStepFraction * (g - cell.gMinSiemens)) - 1) < 0.024)
    }

    @Test("stuck cells ignore every pulse")
    func stuckCellsIgnorePulses() {
        var stuck = TestParameters.freeCell()
        stuck.stuck = .atMax
        var noise = Xoshiro256StarStar(seed: 1)
        #expect(stuck.conductanceAfterPulse(from: stuck.gMaxSiemens, amplitudeVolts: -3, widthSeconds: 10e-6, parameters: p, generator: &noise) == nil)
        #expect(stuck.stuckConductance == stuck.gMaxSiemens)
    }
}
