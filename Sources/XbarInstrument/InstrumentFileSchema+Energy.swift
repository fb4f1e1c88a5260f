extension InstrumentFileSchema {
    /// The `energy:` section: per-conversion energies and the MVM integration time.
    func readEnergy(_ s: InstrumentFileSection) -> ConverterEnergy? {
        defer { s.finish() }
        let conversion = NumberRule.physical(upTo: 1e-6, "J", "a microjoule is a whole board's budget, not one conversion's")
        let dac = s.number("dac_joules_per_conversion", conversion)
        let adc = s.number("adc_joules_per_conversion", conversion)
        let integration = s.number("mvm_integration_seconds", NumberRule.physical(upTo: 1e-3, "s", "an MVM integrating for a millisecond would be a slow read"))
        guard let dac, let adc, let integration else { return nil }
        return ConverterEnergy(dacJoulesPerConversion: dac, adcJoulesPerConversion: adc, mvmIntegrationSeconds: integration)
    }
}
