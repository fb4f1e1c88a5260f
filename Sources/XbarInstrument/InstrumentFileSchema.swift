import XbarDevice
import XbarWire
import Yams

/// The instrument file format: which keys exist, their types and ranges, and the rules that tie
/// keys together. Reads a composed YAML tree into an ``Instrument`` and reports every problem
/// to the log; returns nil when anything needed is missing or wrong.
struct InstrumentFileSchema {
    let log: InstrumentProblemLog
    let fileStem: String

    static let tileKinds: [(String, TileKind)] = [
        ("nonvolatile_1t1r", .nonVolatile1T1R),
        ("nonvolatile_passive", .nonVolatilePassive),
        ("short_term_memory", .shortTermMemory),
    ]
    static let biasSchemes: [(String, BiasScheme)] = [
        ("grounded", .grounded), ("half_voltage", .halfVoltage), ("third_voltage", .thirdVoltage),
    ]
    static let parities: [(String, Parity)] = Parity.allCases.map { ($0.rawValue, $0) }
    static let flowControls: [(String, FlowControl)] = FlowControl.allCases.map { ($0.rawValue, $0) }

    func read(_ root: Node) -> Instrument? {
        guard let top = InstrumentFileSection.open(root, at: "", log: log) else { return nil }
        let name = readName(top)
        let model = top.string("model")
        let description = top.string("description", required: false) ?? ""
        let version = top.string("version")
        let transport = top.section("transport").flatMap(readTransport)
        let tileListing = top.list("tiles").flatMap { readTiles($0, at: top.path("tiles"), node: top.value("tiles", required: false)) }
        let tiles = tileListing?.tiles
        let limits = top.section("limits").flatMap(readLimits)
        let converter = top.section("adc").flatMap(readADC)
        let adc = converter?.adc
        let dac = top.section("dac").flatMap(readDAC)
        let bias = top.choice("bias_scheme", Self.biasSchemes)
        let readVolts = top.number("read_volts", .positive)
        let stmReadVolts = top.number("stm_read_volts", .positive)
        let device = top.section("device").flatMap { readDevice($0, limits: limits) }
        let periphery = top.section("array", required: false).flatMap { readArray($0, adc: adc) }
        let energy = top.section("energy", required: false).flatMap(readEnergy)
        top.finish()

        if let limits {
            for (key, volts) in [("read_volts", readVolts), ("stm_read_volts", stmReadVolts)] {
                if let volts, volts > Double(limits.maxReadVolts) {
                    log.report(key, "\(volts) V is above limits.max_read_volts (\(limits.maxReadVolts) V), so every default read would be refused; lower it or raise the limit", at: top.value(key, required: false))
                }
            }
        }
        if let device, let readVolts, readVolts >= device.nonVolatile.setThresholdVolts.mean {
            log.report("read_volts", "\(readVolts) V is not below device.non_volatile.set_threshold_volts (\(device.nonVolatile.setThresholdVolts.mean) V), so reads would program the cells", at: top.value("read_volts", required: false))
        }
        if let device, let stmReadVolts, stmReadVolts >= device.shortTermMemory.thresholdVolts.mean {
            log.report("stm_read_volts", "\(stmReadVolts) V is not below device.short_term_memory.threshold_volts (\(device.shortTermMemory.thresholdVolts.mean) V), so reads would potentiate the state nodes", at: top.value("stm_read_volts", required: false))
        }
        if let device, let stmReadVolts {
            for (className, p) in device.shortTermMemoryClasses.sorted(by: { $0.key < $1.key }) where stmReadVolts >= p.thresholdVolts.mean {
                log.report("stm_read_volts", "\(stmReadVolts) V is not below device.short_term_memory_classes.\(className).threshold_volts (\(p.thresholdVolts.mean) V), so reads would potentiate the state nodes of that class", at: top.value("stm_read_volts", required: false))
            }
        }
        let rowClasses = device.flatMap { d in tileListing.flatMap { checkRowClasses($0.rowClasses, declared: d.shortTermMemoryClasses) } }

        guard let name, let model, let version, let transport, let tiles, let limits, let adc, let dac,
              let bias, let readVolts, let stmReadVolts, let device, let rowClasses else { return nil }
        if top.has("array") && periphery == nil { return nil }
        if top.has("energy") && energy == nil { return nil }
        return Instrument(name: name, model: model, description: description, path: nil, version: version,
                          transport: transport, tiles: tiles, limits: limits, adc: adc, dac: dac,
                          defaultBiasScheme: bias, defaultReadVolts: readVolts, stmReadVolts: stmReadVolts,
                          device: device, stmRowDeviceClasses: rowClasses, periphery: periphery ?? .ideal,
                          senseRanges: converter?.ranges ?? [], energy: energy)
    }

    private func readName(_ top: InstrumentFileSection) -> String? {
        let declared = top.string("name", required: fileStem.isEmpty)
        if let declared, !fileStem.isEmpty, declared != fileStem {
            log.report("name", "\"\(declared)\" differs from the file name \"\(fileStem)\"; instruments are found by file name, so make them equal", at: top.value("name", required: false))
            return nil
        }
        return declared ?? fileStem
    }

    // MARK: Transport

    private func readTransport(_ s: InstrumentFileSection) -> InstrumentTransport? {
        guard let kind = s.choice("kind", [("usb", "usb"), ("serial", "serial")]) else {
            return nil  // Without a kind the other keys cannot be judged.
        }
        defer { s.finish() }
        if kind == "usb" {
            let vid = s.integer("vendor_id", in: 0...0xFFFF, hex: true)
            let pid = s.integer("product_id", in: 0...0xFFFF, hex: true)
            let interface = s.integer("interface", in: 0...255)
            let out = s.integer("out_endpoint", in: 0...0xFF, hex: true).flatMap { endpoint($0, in: false, s, "out_endpoint") }
            let inEP = s.integer("in_endpoint", in: 0...0xFF, hex: true).flatMap { endpoint($0, in: true, s, "in_endpoint") }
            guard let vid, let pid, let interface, let out, let inEP else { return nil }
            return .usb(USBSettings(vendorID: UInt16(vid), productID: UInt16(pid), interfaceNumber: UInt8(interface),
                                    outEndpoint: UInt8(out), inEndpoint: UInt8(inEP)))
        }
        let baud = s.integer("baud_rate", in: 1...100_000_000)
        let dataBits = s.integer("data_bits", in: 5...8, required: false)
        let parity = s.choice("parity", Self.parities, required: false)
        let stopBits = s.integer("stop_bits", in: 1...2, required: false)
        let flow = s.choice("flow_control", Self.flowControls, required: false)
        let usbVID = s.integer("usb_vendor_id", in: 0...0xFFFF, hex: true, required: false)
        let usbPID = s.integer("usb_product_id", in: 0...0xFFFF, hex: true, required: false)
        if s.has("usb_vendor_id") != s.has("usb_product_id") {
            let missing = s.has("usb_vendor_id") ? "usb_product_id" : "usb_vendor_id"
            log.report(s.path(missing), "missing; give both usb_vendor_id and usb_product_id of the USB-serial adapter, or neither", at: s.node)
            return nil
        }
        guard let baud else { return nil }
        // A key given but not understood has been reported; it never falls back to 8N1.
        for (key, parsed) in [("data_bits", dataBits != nil), ("parity", parity != nil), ("stop_bits", stopBits != nil),
                              ("flow_control", flow != nil)] where s.has(key) && !parsed {
            return nil
        }
        return .serial(SerialSettings(baudRate: baud, dataBits: dataBits ?? 8, parity: parity ?? .none,
                                      stopBits: stopBits ?? 1, flowControl: flow ?? .none,
                                      usbVendorID: usbVID.map(UInt16.init), usbProductID: usbPID.map(UInt16.init)))
    }

    /// Checks a bulk endpoint address: bit 7 is the direction (set for IN), bits 0-3 the number.
    private func endpoint(_ address: Int, in isIn: Bool, _ s: InstrumentFileSection, _ key: String) -> Int? {
        let shown = InstrumentFileSection.hexadecimal(address, digits: 2)
        let expected = isIn ? "a bulk IN endpoint is 0x81...0x8F" : "a bulk OUT endpoint is 0x01...0x0F"
        var problem: String?
        if isIn && address & 0x80 == 0 {
            problem = "\(shown) is an OUT address (direction bit 0x80 clear); \(expected)"
        } else if !isIn && address & 0x80 != 0 {
            problem = "\(shown) is an IN address (direction bit 0x80 set); \(expected)"
        } else if address & 0x0F == 0 || address & 0x70 != 0 {
            problem = "\(shown) is not a bulk endpoint address; \(expected)"
        }
        if let problem {
            log.report(s.path(key), problem, at: s.value(key, required: false))
            return nil
        }
        return address
    }

    // MARK: Geometry

    /// The tiles and, for STM tiles that name them, their rows' device classes (checked
    /// against the declared classes once the device section is read).
    struct TileListing {
        var tiles: [TileInfo]
        var rowClasses: [RowClassList]
    }

    private func readTiles(_ nodes: [Node], at keyPath: String, node: Node?) -> TileListing? {
        if nodes.isEmpty {
            log.report(keyPath, "the board needs at least one tile", at: node)
            return nil
        }
        var tiles: [TileInfo] = []
        var rowClasses: [RowClassList] = []
        var firstUse: [Int: Int] = [:]
        var failed = false
        for (i, tileNode) in nodes.enumerated() {
            let path = "\(keyPath)[\(i)]"
            guard let s = InstrumentFileSection.open(tileNode, at: path, log: log) else { failed = true; continue }
            let index = s.integer("index", in: 0...255)
            let kind = s.choice("kind", Self.tileKinds)
            let rows = s.integer("rows", in: 1...1024)
            let columns = s.integer("columns", in: 1...1024)
            let classList = s.value("row_device_classes", required: false).map { readRowClassList($0, at: s.path("row_device_classes")) }
            s.finish()
            if let classList {
                if let kind, kind != .shortTermMemory {
                    log.report(s.path("row_device_classes"), "device classes are for short_term_memory tiles; this tile is \(Self.tileKinds.first { $0.1 == kind }!.0); remove the key", at: s.value("row_device_classes", required: false))
                    failed = true
                } else if let list = classList, let rows, list.names.count != rows {
                    log.report(s.path("row_device_classes"), "lists \(list.names.count) classes for \(rows) rows; give one class per row", at: s.value("row_device_classes", required: false))
                    failed = true
                } else if let list = classList, let index {
                    rowClasses.append(RowClassList(tile: UInt8(index), names: list.names, nodes: list.nodes, keyPath: s.path("row_device_classes")))
                } else {
                    failed = true
                }
            }
            if let index {
                if let earlier = firstUse[index] {
                    log.report(s.path("index"), "tile index \(index) is already used by \(keyPath)[\(earlier)]; tile indices must be unique", at: s.value("index", required: false))
                    failed = true
                } else {
                    firstUse[index] = i
                }
            }
            guard let index, let kind, let rows, let columns else { failed = true; continue }
            tiles.append(TileInfo(index: UInt8(index), kind: kind, rows: UInt16(rows), columns: UInt16(columns)))
        }
        return failed ? nil : TileListing(tiles: tiles, rowClasses: rowClasses)
    }

    // MARK: Electrical

    private func readLimits(_ s: InstrumentFileSection) -> ElectricalLimits? {
        defer { s.finish() }
        let set = s.float("max_set_volts", PhysicalBounds.pulseVolts)
        let reset = s.float("max_reset_volts", PhysicalBounds.pulseVolts)
        let read = s.float("max_read_volts", PhysicalBounds.readVolts)
        let mvm = s.float("max_mvm_volts", PhysicalBounds.readVolts)
        let minWidth = s.float("min_pulse_width_seconds", PhysicalBounds.pulseSeconds)
        let maxWidth = s.float("max_pulse_width_seconds", PhysicalBounds.pulseSeconds)
        let compliance = s.float("compliance_amperes", PhysicalBounds.complianceAmperes)
        let energy = s.float("max_pulse_energy_joules", PhysicalBounds.pulseEnergyJoules)
        let averages = s.integer("max_read_averages", in: 1...Int(UInt16.max))
        let trainLength = s.integer("max_read_train_length", in: 1...Int(UInt16.max))
        let programActions = s.integer("max_program_actions", in: 1...Int(UInt32.max))
        // Optional: a board without it forms no cells beyond the SET limit.
        let forming = s.float("max_forming_volts", PhysicalBounds.pulseVolts, required: false)
        if let minWidth, let maxWidth, minWidth >= maxWidth {
            log.report(s.path("min_pulse_width_seconds"), "\(minWidth) s must be below max_pulse_width_seconds (\(maxWidth) s)", at: s.value("min_pulse_width_seconds", required: false))
        }
        guard let set, let reset, let read, let mvm, let minWidth, let maxWidth, let compliance, let energy,
              let averages, let trainLength, let programActions else { return nil }
        return ElectricalLimits(maxSetVolts: set, maxResetVolts: reset, maxReadVolts: read, maxMVMVolts: mvm,
                                minPulseWidthSeconds: minWidth, maxPulseWidthSeconds: maxWidth,
                                complianceAmperes: compliance, maxPulseEnergyJoules: energy,
                                maxReadAverages: UInt16(averages), maxReadTrainLength: UInt16(trainLength),
                                maxProgramActions: UInt32(programActions), maxFormingVolts: forming)
    }

    private func readADC(_ s: InstrumentFileSection) -> (adc: ADCInfo, ranges: [SenseRange])? {
        defer { s.finish() }
        let bits = s.integer("bits", in: 1...16)
        let read = s.float("read_full_scale_amperes", PhysicalBounds.converterAmperes)
        let mvm = s.float("mvm_full_scale_amperes", PhysicalBounds.converterAmperes)
        let ranges = s.has("sense_ranges") ? s.list("sense_ranges").flatMap { readSenseRanges($0, at: s.path("sense_ranges"), node: s.value("sense_ranges")) } : []
        guard let bits, let read, let mvm, let ranges else { return nil }
        return (ADCInfo(bits: UInt8(bits), readFullScaleAmperes: read, mvmFullScaleAmperes: mvm), ranges)
    }

    /// `adc.sense_ranges`: a list of `{full_scale_amperes, noise_amperes}`, at most 255 (a range
    /// index is one byte on the wire), each noise below a tenth of its full scale.
    private func readSenseRanges(_ nodes: [Node], at keyPath: String, node: Node?) -> [SenseRange]? {
        guard !nodes.isEmpty, nodes.count <= 255 else {
            log.report(keyPath, "lists \(nodes.count) ranges; give 1 to 255, or leave the key out for a board without ranges", at: node)
            return nil
        }
        var ranges: [SenseRange] = []
        var failed = false
        for (i, rangeNode) in nodes.enumerated() {
            guard let r = InstrumentFileSection.open(rangeNode, at: "\(keyPath)[\(i)]", log: log) else { failed = true; continue }
            let fullScale = r.float("full_scale_amperes", PhysicalBounds.converterAmperes)
            let noise = r.float("noise_amperes", NumberRule { $0 >= 0 ? nil : "must be 0 or more, got \(NumberRule.format($0))" })
            r.finish()
            guard let fullScale, let noise else { failed = true; continue }
            guard noise < fullScale / 10 else {
                log.report(r.path("noise_amperes"), "\(noise) A of noise is a tenth of the range's \(fullScale) A full scale or more; that range measures nothing", at: r.value("noise_amperes", required: false))
                failed = true
                continue
            }
            ranges.append(SenseRange(fullScaleAmperes: fullScale, noiseAmperes: noise))
        }
        return failed ? nil : ranges
    }

    private func readDAC(_ s: InstrumentFileSection) -> DACInfo? {
        defer { s.finish() }
        let bits = s.integer("bits", in: 1...16)
        let fullScale = s.float("full_scale_volts", PhysicalBounds.readVolts)
        guard let bits, let fullScale else { return nil }
        return DACInfo(bits: UInt8(bits), fullScaleVolts: fullScale)
    }

    // MARK: Device model

    private func readDevice(_ s: InstrumentFileSection, limits: ElectricalLimits?) -> DeviceParameters? {
        defer { s.finish() }
        var nv = s.section("non_volatile").flatMap { readNonVolatile($0, limits: limits) }
        let wear = s.section("non_volatile_wear", required: false).map(readWear)
        if let wear { guard let wear else { return nil }; nv?.wear = wear }
        let stm = s.section("short_term_memory").flatMap { readShortTermMemory($0, limits: limits) }
        let classes = s.section("short_term_memory_classes", required: false).map { readClasses($0, inheriting: stm, limits: limits) }
        guard let nv, let stm else { return nil }
        if let classes, classes == nil { return nil }
        return DeviceParameters(nonVolatile: nv, shortTermMemory: stm, shortTermMemoryClasses: (classes ?? [:]) ?? [:])
    }

    private func readNonVolatile(_ s: InstrumentFileSection, limits: ElectricalLimits?) -> NonVolatileCellParameters? {
        defer { s.finish() }
        let gMin = s.distributed("g_min_siemens", PhysicalBounds.conductanceSiemens)
        let gMax = s.distributed("g_max_siemens", PhysicalBounds.conductanceSiemens)
        let setThreshold = s.distributed("set_threshold_volts", PhysicalBounds.pulseVolts)
        let resetThreshold = s.distributed("reset_threshold_volts", PhysicalBounds.pulseVolts)
        let setStep = s.distributed("set_step_fraction", .positiveFraction)
        let resetStep = s.distributed("reset_step_fraction", .positiveFraction)
        let overdrive = s.number("overdrive_scale_volts", .positive)
        let referenceWidth = s.number("reference_width_seconds", .positive)
        let widthExponent = s.number("width_exponent", .positiveFraction)
        let c2c = s.number("cycle_to_cycle_spread", .relativeSpread)
        let readNoise = s.number("read_noise_spread", .relativeSpread)
        let stuckMin = s.number("stuck_at_min_rate", .unitInterval)
        let stuckMax = s.number("stuck_at_max_rate", .unitInterval)
        let relaxation = s.number("relaxation_spread_per_decade", .nonNegative)
        let conductionScale = s.number("conduction_scale_volts", .positive, required: false)
        // Forming keys come together: a population has forming parameters or none.
        let formingVolts = s.distributed("forming_volts", PhysicalBounds.pulseVolts, required: false)
        let pristine = s.distributed("pristine_siemens", .positive, required: false)
        let neverForm = s.number("never_form_rate", .unitInterval, required: false)
        let overForm = s.number("over_form_rate", .unitInterval, required: false)
        let formingKeys = ["forming_volts", "pristine_siemens", "never_form_rate", "over_form_rate"]
        let given = formingKeys.filter { s.has($0) }
        if !given.isEmpty && given.count < formingKeys.count {
            let missing = formingKeys.filter { !s.has($0) }
            log.report(s.path(missing[0]), "missing: forming needs \(formingKeys.joined(separator: ", ")) together (found \(given.joined(separator: ", ")))", at: s.node)
        }
        var forming: FormingParameters?
        if let formingVolts, let pristine, let neverForm, let overForm {
            forming = FormingParameters(formingVolts: formingVolts, pristineSiemens: pristine,
                                        neverFormRate: neverForm, overFormRate: overForm)
            if neverForm + overForm > 1 {
                log.report(s.path("over_form_rate"), "never_form_rate + over_form_rate is \(neverForm + overForm), more than every cell", at: s.value("over_form_rate", required: false))
            }
            if let limits, formingVolts.mean >= Double(limits.maxFormingVolts ?? limits.maxSetVolts) {
                log.report(s.path("forming_volts"), "\(formingVolts.mean) V is not below limits.max_forming_volts (\(limits.maxFormingVolts ?? limits.maxSetVolts) V), so no allowed ramp could form a cell", at: s.value("forming_volts", required: false))
            }
        }

        if let gMin, let gMax, gMin.mean >= gMax.mean {
            log.report(s.path("g_min_siemens"), "\(gMin.mean) S must be below g_max_siemens (\(gMax.mean) S)", at: s.value("g_min_siemens", required: false))
        }
        if let limits, let setThreshold, setThreshold.mean >= Double(limits.maxSetVolts) {
            log.report(s.path("set_threshold_volts"), "\(setThreshold.mean) V is not below limits.max_set_volts (\(limits.maxSetVolts) V), so no allowed SET pulse could switch a cell", at: s.value("set_threshold_volts", required: false))
        }
        if let limits, let resetThreshold, resetThreshold.mean >= Double(limits.maxResetVolts) {
            log.report(s.path("reset_threshold_volts"), "\(resetThreshold.mean) V is not below limits.max_reset_volts (\(limits.maxResetVolts) V), so no allowed RESET pulse could switch a cell", at: s.value("reset_threshold_volts", required: false))
        }
        if let stuckMin, let stuckMax, stuckMin + stuckMax > 1 {
            log.report(s.path("stuck_at_max_rate"), "stuck_at_min_rate + stuck_at_max_rate is \(stuckMin + stuckMax), more than every cell", at: s.value("stuck_at_max_rate", required: false))
        }
        guard let gMin, let gMax, let setThreshold, let resetThreshold, let setStep, let resetStep,
              let overdrive, let referenceWidth, let widthExponent, let c2c, let readNoise, let stuckMin,
              let stuckMax, let relaxation else { return nil }
        return NonVolatileCellParameters(
            gMinSiemens: gMin, gMaxSiemens: gMax, setThresholdVolts: setThreshold,
            resetThresholdVolts: resetThreshold, setStepFraction: setStep, resetStepFraction: resetStep,
            overdriveScaleVolts: overdrive, referenceWidthSeconds: referenceWidth, widthExponent: widthExponent,
            cycleToCycleSpread: c2c, readNoiseSpread: readNoise, stuckAtMinRate: stuckMin,
            stuckAtMaxRate: stuckMax, relaxationSpreadPerDecade: relaxation,
            forming: forming, conductionScaleVolts: conductionScale)
    }

    /// The default STM population (every key required), or a device class that overrides
    /// `inherited` key by key (every key optional). A class whose default could not be read
    /// still has its own keys checked, and gives nil.
    func readShortTermMemory(_ s: InstrumentFileSection, limits: ElectricalLimits?, inheriting inherited: ShortTermMemoryCellParameters? = nil,
                             isClass: Bool = false) -> ShortTermMemoryCellParameters? {
        defer { s.finish() }
        let required = !isClass
        let base = s.distributed("base_siemens", .nonNegative, required: required) ?? inherited?.baseSiemens
        let ceiling = s.distributed("ceiling_siemens", PhysicalBounds.conductanceSiemens, required: required) ?? inherited?.ceilingSiemens
        let tau = s.distributed("tau_seconds", PhysicalBounds.timeConstantSeconds, required: required) ?? inherited?.tauSeconds
        let slowTau = s.distributed("slow_tau_seconds", PhysicalBounds.timeConstantSeconds, required: required) ?? inherited?.slowTauSeconds
        let slowFraction = s.number("slow_fraction", .unitInterval, required: required) ?? inherited?.slowFraction
        let increment = s.distributed("increment_fraction", .positiveFraction, required: required) ?? inherited?.incrementFraction
        let threshold = s.distributed("threshold_volts", PhysicalBounds.pulseVolts, required: required) ?? inherited?.thresholdVolts
        let overdrive = s.number("overdrive_scale_volts", .positive, required: required) ?? inherited?.overdriveScaleVolts
        let referenceWidth = s.number("reference_width_seconds", .positive, required: required) ?? inherited?.referenceWidthSeconds
        let widthExponent = s.number("width_exponent", .positiveFraction, required: required) ?? inherited?.widthExponent
        let c2c = s.number("cycle_to_cycle_spread", .relativeSpread, required: required) ?? inherited?.cycleToCycleSpread
        let readNoise = s.number("read_noise_spread", .relativeSpread, required: required) ?? inherited?.readNoiseSpread
        let readDisturb = s.number("read_disturb_fraction", .unitInterval, required: required) ?? inherited?.readDisturbFraction

        if let tau, let slowTau, let slowFraction, slowFraction > 0, slowTau.mean <= tau.mean {
            let inheritedNote = isClass && !s.has("slow_tau_seconds") ? " (inherited from device.short_term_memory; set the class's own)" : ""
            log.report(s.path("slow_tau_seconds"), "\(slowTau.mean) s\(inheritedNote) must be above tau_seconds (\(tau.mean) s) when slow_fraction is above 0; set slow_fraction to 0 to disable the slow component", at: s.value("slow_tau_seconds", required: false) ?? s.node)
        }
        if let limits, let threshold, threshold.mean >= Double(limits.maxSetVolts) {
            log.report(s.path("threshold_volts"), "\(threshold.mean) V is not below limits.max_set_volts (\(limits.maxSetVolts) V), so no allowed pulse could potentiate a state node", at: s.value("threshold_volts", required: false) ?? s.node)
        }
        guard let base, let ceiling, let tau, let slowTau, let slowFraction, let increment, let threshold,
              let overdrive, let referenceWidth, let widthExponent, let c2c, let readNoise, let readDisturb else { return nil }
        return ShortTermMemoryCellParameters(
            baseSiemens: base, ceilingSiemens: ceiling, tauSeconds: tau, slowTauSeconds: slowTau,
            slowFraction: slowFraction, incrementFraction: increment, thresholdVolts: threshold,
            overdriveScaleVolts: overdrive, referenceWidthSeconds: referenceWidth, widthExponent: widthExponent,
            cycleToCycleSpread: c2c, readNoiseSpread: readNoise, readDisturbFraction: readDisturb)
    }
}
