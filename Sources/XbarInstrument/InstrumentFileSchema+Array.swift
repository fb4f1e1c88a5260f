import XbarDevice
import XbarWire

extension InstrumentFileSchema {
    /// The `array:` section: the periphery of the non-volatile tiles. A file without it
    /// describes an ideal periphery (as files written before the section existed do).
    func readArray(_ s: InstrumentFileSection, adc: ADCInfo?) -> ArrayPeripheryParameters? {
        defer { s.finish() }
        let below = { (limit: Double, what: String) in
            NumberRule { $0 >= 0 && $0 < limit ? nil : "must be 0 or more and below \(limit) (\(what)), got \($0)" }
        }
        let wire = s.number("wire_ohms_per_cell", below(1000, "ohms between neighbouring cells"))
        let line = s.number("line_ohms", below(10_000, "ohms outside the array per line"))
        let gain = s.number("sense_gain_spread", below(0.5, "relative spread of the column gains"))
        let offset = s.number("sense_offset_spread", below(0.5, "a fraction of the MVM full scale"))
        let bow = s.distributed("adc_inl_bow_lsb", NumberRule {
            abs($0) <= 16 ? nil : "must be between -16 and 16 LSB, got \($0)"
        })
        let code = s.number("adc_inl_code_lsb", below(4, "LSB"))
        let halfSelect = s.number("half_select_current_fraction", NumberRule {
            (0...0.5).contains($0) ? nil : "must be between 0 (no sneak current) and 0.5 (a linear cell), got \($0)"
        }, required: false)
        if let adc, let bow, let code, abs(bow.mean) * (1 + 3 * bow.spread) + 3 * code >= Double(1 << Int(adc.bits)) / 4 {
            s.log.report(s.path("adc_inl_bow_lsb"), "an error of \(abs(bow.mean)) LSB bow and \(code) LSB per code is a quarter of the \(adc.bits)-bit range or more; that is no converter", at: s.value("adc_inl_bow_lsb", required: false))
            return nil
        }
        guard let wire, let line, let gain, let offset, let bow, let code else { return nil }
        if s.has("half_select_current_fraction") && halfSelect == nil { return nil }
        return ArrayPeripheryParameters(wireOhmsPerCell: wire, lineOhms: line, senseGainSpread: gain,
                                        senseOffsetSpread: offset, adcBowLSB: bow, adcCodeNoiseLSB: code,
                                        halfSelectCurrentFraction: halfSelect ?? 0)
    }
}

extension Instrument {
    /// Realism warnings of the `array:` section (see ``realismWarnings``); none for an ideal
    /// periphery, which older files describe by leaving the section out.
    var arrayRealismWarnings: [InstrumentProblem] {
        guard periphery != .ideal else { return [] }
        let p = periphery
        var warnings: [InstrumentProblem] = []
        func check(_ key: String, _ value: Double, _ range: ClosedRange<Double>, _ what: String) {
            guard !range.contains(value) else { return }
            warnings.append(InstrumentProblem(keyPath: "array." + key,
                                              message: "\(what) \(value) is outside the realistic range \(range.lowerBound)–\(range.upperBound)"))
        }
        check("wire_ohms_per_cell", p.wireOhmsPerCell, 0.5...5, "on-chip wire resistance per cell pitch (ohms)")
        check("line_ohms", p.lineOhms, 5...100, "board trace and switch resistance per line (ohms)")
        check("sense_gain_spread", p.senseGainSpread, 0.005...0.03, "column gain mismatch (relative sigma)")
        check("sense_offset_spread", p.senseOffsetSpread, 0.001...0.01, "column offset (fraction of full scale)")
        check("adc_inl_bow_lsb", abs(p.adcBowLSB.mean) + p.adcCodeNoiseLSB, 0.5...2, "ADC integral non-linearity (bow plus per-code, LSB)")
        if tiles.contains(where: { $0.kind == .nonVolatilePassive }) {
            check("half_select_current_fraction", p.halfSelectCurrentFraction, 0.1...(1.0 / 3),
                  "half-selected cell current at V/2 over the full-V current")
        }
        return warnings
    }
}
