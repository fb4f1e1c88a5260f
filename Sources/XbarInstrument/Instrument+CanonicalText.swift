import XbarDevice
import XbarWire

extension Instrument {
    /// The instrument written out as an instrument file in one fixed form: every key, in the
    /// order of the shipped files, numbers in their shortest exact form, no comments.
    /// ``parse(yaml:path:)`` reads it back to an equal instrument (apart from `path`).
    public var canonicalYAML: String {
        var out = ""
        func line(_ indent: Int, _ text: String) { out += String(repeating: "  ", count: indent) + text + "\n" }
        func hex(_ value: some BinaryInteger, digits: Int) -> String {
            let h = String(value, radix: 16, uppercase: true)
            return "0x" + String(repeating: "0", count: max(0, digits - h.count)) + h
        }
        func distributed(_ p: DistributedParameter) -> String {
            p.spread == 0 ? "\(p.mean)" : "{mean: \(p.mean), spread: \(p.spread)}"
        }

        line(0, "name: \(Self.quoted(name))")
        line(0, "model: \(Self.quoted(model))")
        line(0, "description: \(Self.quoted(description))")
        line(0, "version: \(Self.quoted(version))")
        line(0, "transport:")
        switch transport {
        case .usb(let u):
            line(1, "kind: usb")
            line(1, "vendor_id: \(hex(u.vendorID, digits: 4))")
            line(1, "product_id: \(hex(u.productID, digits: 4))")
            line(1, "interface: \(u.interfaceNumber)")
            line(1, "out_endpoint: \(hex(u.outEndpoint, digits: 2))")
            line(1, "in_endpoint: \(hex(u.inEndpoint, digits: 2))")
        case .serial(let s):
            line(1, "kind: serial")
            line(1, "baud_rate: \(s.baudRate)")
            line(1, "data_bits: \(s.dataBits)")
            line(1, "parity: \(s.parity.rawValue)")
            line(1, "stop_bits: \(s.stopBits)")
            line(1, "flow_control: \(s.flowControl.rawValue)")
            if let vid = s.usbVendorID, let pid = s.usbProductID {
                line(1, "usb_vendor_id: \(hex(vid, digits: 4))")
                line(1, "usb_product_id: \(hex(pid, digits: 4))")
            }
        }
        line(0, "tiles:")
        for t in tiles {
            let classes = stmRowDeviceClasses[t.index].map { ", row_device_classes: [\($0.joined(separator: ", "))]" } ?? ""
            line(1, "- {index: \(t.index), kind: \(Self.name(of: t.kind)), rows: \(t.rows), columns: \(t.columns)\(classes)}")
        }
        line(0, "limits:")
        line(1, "max_set_volts: \(limits.maxSetVolts)")
        line(1, "max_reset_volts: \(limits.maxResetVolts)")
        line(1, "max_read_volts: \(limits.maxReadVolts)")
        line(1, "max_mvm_volts: \(limits.maxMVMVolts)")
        line(1, "min_pulse_width_seconds: \(limits.minPulseWidthSeconds)")
        line(1, "max_pulse_width_seconds: \(limits.maxPulseWidthSeconds)")
        line(1, "compliance_amperes: \(limits.complianceAmperes)")
        line(1, "max_pulse_energy_joules: \(limits.maxPulseEnergyJoules)")
        line(1, "max_read_averages: \(limits.maxReadAverages)")
        line(1, "max_read_train_length: \(limits.maxReadTrainLength)")
        line(1, "max_program_actions: \(limits.maxProgramActions)")
        if let forming = limits.maxFormingVolts { line(1, "max_forming_volts: \(forming)") }
        line(0, "adc:")
        line(1, "bits: \(adc.bits)")
        line(1, "read_full_scale_amperes: \(adc.readFullScaleAmperes)")
        line(1, "mvm_full_scale_amperes: \(adc.mvmFullScaleAmperes)")
        if !senseRanges.isEmpty {
            line(1, "sense_ranges:")
            for r in senseRanges { line(2, "- {full_scale_amperes: \(r.fullScaleAmperes), noise_amperes: \(r.noiseAmperes)}") }
        }
        line(0, "dac:")
        line(1, "bits: \(dac.bits)")
        line(1, "full_scale_volts: \(dac.fullScaleVolts)")
        line(0, "bias_scheme: \(InstrumentFileSchema.biasSchemes.first { $0.1 == defaultBiasScheme }?.0 ?? "grounded")")
        line(0, "read_volts: \(defaultReadVolts)")
        line(0, "stm_read_volts: \(stmReadVolts)")
        let nv = device.nonVolatile
        line(0, "device:")
        line(1, "non_volatile:")
        line(2, "g_min_siemens: \(distributed(nv.gMinSiemens))")
        line(2, "g_max_siemens: \(distributed(nv.gMaxSiemens))")
        line(2, "set_threshold_volts: \(distributed(nv.setThresholdVolts))")
        line(2, "reset_threshold_volts: \(distributed(nv.resetThresholdVolts))")
        line(2, "set_step_fraction: \(distributed(nv.setStepFraction))")
        line(2, "reset_step_fraction: \(distributed(nv.resetStepFraction))")
        line(2, "overdrive_scale_volts: \(nv.overdriveScaleVolts)")
        line(2, "reference_width_seconds: \(nv.referenceWidthSeconds)")
        line(2, "width_exponent: \(nv.widthExponent)")
        line(2, "cycle_to_cycle_spread: \(nv.cycleToCycleSpread)")
        line(2, "read_noise_spread: \(nv.readNoiseSpread)")
        line(2, "stuck_at_min_rate: \(nv.stuckAtMinRate)")
        line(2, "stuck_at_max_rate: \(nv.stuckAtMaxRate)")
        line(2, "relaxation_spread_per_decade: \(nv.relaxationSpreadPerDecade)")
        // Written only when present, so that files without them keep their digest.
        if let v0 = nv.conductionScaleVolts { line(2, "conduction_scale_volts: \(v0)") }
        if let f = nv.forming {
            line(2, "forming_volts: \(distributed(f.formingVolts))")
            line(2, "pristine_siemens: \(distributed(f.pristineSiemens))")
            line(2, "never_form_rate: \(f.neverFormRate)")
            line(2, "over_form_rate: \(f.overFormRate)")
        }
        if let w = nv.wear {
            line(1, "non_volatile_wear:")
            line(2, "endurance_median_cycles: \(w.enduranceMedianCycles)")
            line(2, "endurance_log_spread: \(w.enduranceLogSpread)")
            line(2, "window_loss_at_failure: \(w.windowLossAtFailure)")
            line(2, "window_loss_exponent: \(w.windowLossExponent)")
            line(2, "failure_stuck_high_fraction: \(w.failureStuckHighFraction)")
            line(2, "disturb_step_fraction: \(w.disturbStepFraction)")
            line(2, "disturb_scale_volts: \(w.disturbScaleVolts)")
        }
        // Every class is written with every key: the canonical form does not depend on which
        // keys a file chose to inherit.
        func shortTermMemory(_ stm: ShortTermMemoryCellParameters, indent: Int) {
            line(indent, "base_siemens: \(distributed(stm.baseSiemens))")
            line(indent, "ceiling_siemens: \(distributed(stm.ceilingSiemens))")
            line(indent, "tau_seconds: \(distributed(stm.tauSeconds))")
            line(indent, "slow_tau_seconds: \(distributed(stm.slowTauSeconds))")
            line(indent, "slow_fraction: \(stm.slowFraction)")
            line(indent, "increment_fraction: \(distributed(stm.incrementFraction))")
            line(indent, "threshold_volts: \(distributed(stm.thresholdVolts))")
            line(indent, "overdrive_scale_volts: \(stm.overdriveScaleVolts)")
            line(indent, "reference_width_seconds: \(stm.referenceWidthSeconds)")
            line(indent, "width_exponent: \(stm.widthExponent)")
            line(indent, "cycle_to_cycle_spread: \(stm.cycleToCycleSpread)")
            line(indent, "read_noise_spread: \(stm.readNoiseSpread)")
            line(indent, "read_disturb_fraction: \(stm.readDisturbFraction)")
        }
        line(1, "short_term_memory:")
        shortTermMemory(device.shortTermMemory, indent: 2)
        if !device.shortTermMemoryClasses.isEmpty {
            line(1, "short_term_memory_classes:")
            for (name, stm) in device.shortTermMemoryClasses.sorted(by: { $0.key < $1.key }) {
                line(2, "\(name):")
                shortTermMemory(stm, indent: 3)
            }
        }
        // Written only when present, so that files without the section keep their digest.
        if periphery != .ideal {
            let a = periphery
            line(0, "array:")
            line(1, "wire_ohms_per_cell: \(a.wireOhmsPerCell)")
            line(1, "line_ohms: \(a.lineOhms)")
            line(1, "sense_gain_spread: \(a.senseGainSpread)")
            line(1, "sense_offset_spread: \(a.senseOffsetSpread)")
            line(1, "adc_inl_bow_lsb: \(distributed(a.adcBowLSB))")
            line(1, "adc_inl_code_lsb: \(a.adcCodeNoiseLSB)")
            line(1, "half_select_current_fraction: \(a.halfSelectCurrentFraction)")
        }
        return out + energyYAML
    }

    /// The `energy:` section in canonical form, empty without one.
    private var energyYAML: String {
        guard let e = energy else { return "" }
        return "energy:\n"
            + "  dac_joules_per_conversion: \(e.dacJoulesPerConversion)\n"
            + "  adc_joules_per_conversion: \(e.adcJoulesPerConversion)\n"
            + "  mvm_integration_seconds: \(e.mvmIntegrationSeconds)\n"
    }

    /// The instrument's fingerprint, the one stored in run records and in calibration files:
    /// ``SHA256Hex/digest(_:)`` of the UTF-8 bytes of ``canonicalYAML`` (64 lowercase hex
    /// digits). Comments, layout and the file's location do not change it; any value of the
    /// board does. The energy figures are left out: they are estimates about the board, not
    /// part of what it does, so revising them does not make every calibration look stale.
    public var contentDigest: String {
        SHA256Hex.digest(Array(canonicalYAML.dropLast(energyYAML.count).utf8))
    }

    /// A YAML double-quoted string.
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let h = String(scalar.value, radix: 16)
                    out += "\\x" + String(repeating: "0", count: 2 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
