import XbarDevice
import XbarWire

extension SimulatedBoard {
    /// MVM: column currents `I_j = sum_i G_ij * V_i` of the tile's true conductances (as of
    /// the start of the request) for DAC-quantised inputs, plus read noise, ADC-quantised.
    ///
    /// With the board's periphery: the conductances are the effective ones of the resistive
    /// lines (``XbarDevice/LineResistance``, recomputed only when the tile changed), each
    /// column's current passes its amplifier's gain and offset, and the converter its
    /// non-linearity. Passive tiles see no sneak current here: every row is driven and every
    /// column held at 0 V, so no cell is half-selected.
    ///
    /// With a sense range (``XbarWire/MatrixVectorProduct/senseRange``), the column currents
    /// also carry the range's own noise and convert at its full scale; each one beyond it reads
    /// full scale of its sign and is flagged in the reply.
    ///
    /// The per-cell read noises of a column are independent Gaussians, so their sum is one
    /// Gaussian of variance `sigma^2 * sum_i (G_ij * V_i)^2`: one normal number per column.
    func multiply(_ m: MatrixVectorProduct, limits: BoardFault?) throws -> Reply {
        let tile = try tile(m.tile)
        guard case .nonVolatile(let info, let array) = tile else {
            throw badArgument("MVM needs a non-volatile tile; tile \(m.tile) holds STM nodes")
        }
        let rows = Int(info.rows), columns = Int(info.columns)
        guard Int(m.inputLength) == rows else {
            throw badArgument("MVM input length \(m.inputLength) does not match the \(rows) rows of tile \(m.tile)")
        }
        guard !m.inputs.isEmpty, m.inputs.count % rows == 0 else {
            throw badArgument("MVM carries \(m.inputs.count) inputs, not a positive multiple of the input length \(rows)")
        }
        let vectors = m.inputs.count / rows
        let flagBytes = m.senseRange == nil ? 0 : (vectors * columns + 7) / 8
        try checkReplySize(10 + 4 * vectors * columns + flagBytes, "MVM of \(vectors) vectors")
        let range = try senseRange(m.senseRange, "MVM")
        try pass(limits)
        if let beyond = instrument.dac.checkInputs(of: m) { throw BoardError.fault(beyond) }

        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        array.refresh(to: clock.seconds)
        let sigma = array.parameters.readNoiseSpread
        let vectorTime = timing.mvmVectorSeconds.wholeNanoseconds
        let effective = effectiveConductances(of: m.tile, array)
        let amplifiers = periphery.columns[m.tile]
        let hasAmplifiers = periphery.hasColumnErrors && amplifiers != nil
        let nonlinearity = periphery.mvmNonlinearity
        let linearConverter = !periphery.parameters.hasConverterNonlinearity
        let widthConverter = UnipolarQuantizer(bits: Int(instrument.dac.bits), fullScale: 1)
        var voltages = [Double](repeating: 0, count: rows)
        var currents = [Double](repeating: 0, count: columns)
        var squares = [Double](repeating: 0, count: columns)
        var out = [Float]()
        out.reserveCapacity(vectors * columns)
        var saturations = 0
        // A chosen range converts at its own full scale with its own noise, and flags each value.
        let converter = range?.mvm ?? mvmConverter
        let rangeNoise = range?.noiseAmperes ?? 0
        var flags: [Bool] = []
        if range != nil { flags.reserveCapacity(vectors * columns) }
        m.inputs.withUnsafeBufferPointer { inputs in
            for k in 0..<vectors {
                let x = UnsafeBufferPointer(rebasing: inputs[(k * rows)..<((k + 1) * rows)])
                var duration = vectorTime
                switch m.encoding {
                case .voltage:
                    for i in 0..<rows { voltages[i] = inputConverter.convert(Double(x[i])).value }
                case .pulseWidth:
                    // Widths are timed by a counter of the DAC's resolution over the longest width.
                    let longest = Double(x.max() ?? 0)
                    let read = Double(m.readVolts)
                    for i in 0..<rows {
                        voltages[i] = longest > 0 ? read * widthConverter.convert(Double(x[i]) / longest).value : 0
                    }
                    duration += longest.wholeNanoseconds
                }
                for j in 0..<columns {
                    currents[j] = 0
                    squares[j] = 0
                }
                voltages.withUnsafeBufferPointer { v in
                    currents.withUnsafeMutableBufferPointer { c in
                        squares.withUnsafeMutableBufferPointer { s in
                            array.accumulateColumnCurrents(voltages: v, currents: c, squares: s, effective: effective)
                        }
                    }
                }
                for j in 0..<columns {
                    var noisy = currents[j] + sigma * squares[j].squareRoot() * readNoise.nextNormal()
                    if hasAmplifiers { noisy = amplifiers!.gains[j] * noisy + amplifiers!.offsetsAmperes[j] }
                    if range != nil {
                        noisy += rangeNoise * readNoise.nextNormal()
                    }
                    let (value, saturated) = linearConverter ? converter.convert(noisy)
                        : converter.convert(noisy, nonlinearity: nonlinearity)
                    if saturated { saturations += 1 }
                    if range != nil { flags.append(saturated) }
                    out.append(Float(value))
                }
                clock.advance(by: duration)
            }
        }
        adcSaturations += UInt64(saturations)
        return .currents(Currents(boardTimeNanoseconds: clock.boardNanoseconds, amperes: out,
                                  saturated: range == nil ? nil : flags))
    }

    /// The effective conductances of a tile's resistive lines, or nil when the lines are ideal.
    func effectiveConductances(of index: UInt8, _ array: NonVolatileTile) -> [Double]? {
        guard periphery.parameters.hasLineResistance else { return nil }
        if let cached = effectiveConductances[index], cached.revision == array.revision { return cached.siemens }
        let siemens = periphery.lines.effectiveConductances(array.conductances, rows: array.rows, columns: array.columns)
        effectiveConductances[index] = (array.revision, siemens)
        return siemens
    }
}
