import XbarDevice

extension DecayLaw {
    /// Where a fit of one node's traces starts: the mean node of its device class, with a read
    /// disturb of that class's increment times its read fraction.
    public init(startingFrom population: ShortTermMemoryCellParameters) {
        self.init(baseSiemens: population.baseSiemens.mean, ceilingSiemens: population.ceilingSiemens.mean,
                  tauSeconds: population.tauSeconds.mean, slowTauSeconds: population.slowTauSeconds.mean,
                  slowFraction: population.slowFraction, pulseFractions: [],
                  readFraction: population.incrementFraction.mean * population.readDisturbFraction)
    }
}
