import XbarWire

/// Typed forms of the protocol operations, in SI units. Each sends one request (``identify()``
/// two, to a board with sense ranges).
extension Board {
    /// The board's identity, with its sense ranges when it has them
    /// (``XbarWire/Capabilities/senseRanges``): a plain IDENTIFY, then one asking for the
    /// ranges when the board reports them.
    ///
    /// - Throws: ``BoardError`` when the board does not answer an IDENTIFY.
    public func identify() throws(BoardError) -> BoardIdentity {
        // Asked the plain way first: a board without sense ranges refuses the payload byte with
        // a fault a link cannot tell from a damaged frame, and would be asked again and again.
        let plain = try plainIdentify()
        guard plain.capabilities.contains(.senseRanges) else { return plain }
        let reply = try perform(.identifyWithSenseRanges)
        guard case .identity(let id) = reply else { throw unexpected("IDENTIFY", reply) }
        return id
    }

    /// IDENTIFY without a payload: what every board answers, never with sense ranges.
    public func plainIdentify() throws(BoardError) -> BoardIdentity {
        let reply = try perform(.identify)
        guard case .identity(let id) = reply else { throw unexpected("IDENTIFY", reply) }
        return id
    }

    public func status() throws(BoardError) -> BoardStatus {
        let reply = try perform(.status)
        guard case .status(let s) = reply else { throw unexpected("STATUS", reply) }
        return s
    }

    /// STATUS with the board's session id when `identity` (this board's IDENTIFY reply) has
    /// ``XbarWire/Capabilities/boardSession``; a plain STATUS (no session) otherwise.
    public func sessionStatus(_ identity: BoardIdentity) throws(BoardError) -> BoardStatus {
        let reply = try perform(identity.capabilities.contains(.boardSession) ? .sessionStatus : .status)
        guard case .status(let s) = reply else { throw unexpected("STATUS", reply) }
        return s
    }

    /// Reads cells; returns currents in amperes in the cell set's order. With `senseRange` (an
    /// index into the board's ``XbarWire/BoardIdentity/senseRanges``) the cells are converted in
    /// that range and every current comes with its saturation flag.
    ///
    /// - Throws: ``BoardError/fault(_:)`` `badArgument` for a range the board does not have.
    public func read(_ cells: CellSet, readVolts: Double, averages: Int = 1, senseRange: UInt8? = nil) throws(BoardError) -> Currents {
        let reply = try perform(.read(ReadCells(cells: cells, readVolts: Float(readVolts), averages: UInt16(clamping: averages),
                                                senseRange: senseRange)))
        guard case .currents(let c) = reply else { throw unexpected("READ", reply) }
        try requireFinite(c.amperes, "READ")
        try requireFlags(c, ranged: senseRange != nil, "READ")
        return c
    }

    /// Reads cells and returns their conductances in siemens (current / read voltage).
    public func readConductances(_ cells: CellSet, readVolts: Double, averages: Int = 1) throws(BoardError) -> [Double] {
        try read(cells, readVolts: readVolts, averages: averages).amperes.map { Double($0) / readVolts }
    }

    /// Applies the same pulse to every selected cell. Volts: positive SETs, negative RESETs.
    @discardableResult
    public func pulse(_ cells: CellSet, amplitudeVolts: Double, widthSeconds: Double, scheme: BiasScheme) throws(BoardError) -> PulseReceipt {
        let reply = try perform(.pulse(PulseCells(cells: cells, amplitudeVolts: Float(amplitudeVolts),
                                                  widthSeconds: Float(widthSeconds), scheme: scheme)))
        guard case .pulsed(let r) = reply else { throw unexpected("PULSE", reply) }
        return r
    }

    /// Applies per-cell pulses in order and, with `verify`, reads every listed cell afterwards;
    /// verify currents in amperes, each with its saturation flag when the verify names groups
    /// in sense ranges.
    ///
    /// - Throws: ``BoardError/fault(_:)`` `unsupported` for verify groups to a board without
    ///   ``XbarWire/Capabilities/rangedVerify``, `badArgument` for a range it does not have;
    ///   `.unexpectedReply` when a ranged verify's reply lacks a flag per current.
    public func pulseBatch(_ batch: PulseBatch) throws(BoardError) -> PulseReceipt {
        let reply = try perform(.pulseBatch(batch))
        guard case .pulsed(let r) = reply else { throw unexpected("PULSE_BATCH", reply) }
        try requireFinite(r.verifyAmperes, "PULSE_BATCH")
        try requireFlags(Currents(boardTimeNanoseconds: r.boardTimeNanoseconds, amperes: r.verifyAmperes, saturated: r.verifySaturated),
                         ranged: batch.verify?.groups != nil, "PULSE_BATCH")
        return r
    }

    /// Multiplies vectors by a tile; returns column currents in amperes, vector after vector,
    /// each with its saturation flag when the request chose a sense range.
    ///
    /// - Throws: ``BoardError/fault(_:)`` `badArgument` for a range the board does not have.
    public func mvm(_ request: MatrixVectorProduct) throws(BoardError) -> Currents {
        let reply = try perform(.mvm(request))
        guard case .currents(let c) = reply else { throw unexpected("MVM", reply) }
        try requireFinite(c.amperes, "MVM")
        try requireFlags(c, ranged: request.senseRange != nil, "MVM")
        return c
    }

    public func readTrain(_ request: ReadTrain) throws(BoardError) -> ReadTrainData {
        let reply = try perform(.readTrain(request))
        guard case .readTrain(let d) = reply else { throw unexpected("READ_TRAIN", reply) }
        try requireFinite(d.amperes, "READ_TRAIN")
        return d
    }

    /// Uploads one chunk of a timed program; returns how many chunks the board holds.
    @discardableResult
    public func playLoad(_ chunk: PlayLoad) throws(BoardError) -> UInt16 {
        let reply = try perform(.playLoad(chunk))
        guard case let .playLoaded(id, received) = reply, id == chunk.programID else { throw unexpected("PLAY_LOAD", reply) }
        return received
    }

    /// Starts a loaded program; the reply gives its board start time and result count.
    public func playStart(programID: UInt16) throws(BoardError) -> PlayStarted {
        let reply = try perform(.playStart(programID: programID))
        guard case .playStarted(let s) = reply else { throw unexpected("PLAY_START", reply) }
        return s
    }

    /// Fetches results of a started program from `firstResult` on (possibly none yet).
    public func playFetch(_ fetch: PlayFetch) throws(BoardError) -> PlayData {
        let reply = try perform(.playFetch(fetch))
        guard case .playData(let d) = reply else { throw unexpected("PLAY_FETCH", reply) }
        try requireFinite(d.results.map(\.amperes), "PLAY_FETCH")
        return d
    }

    public func abort() throws(BoardError) {
        let reply = try perform(.abort)
        guard case .done = reply else { throw unexpected("ABORT", reply) }
    }

    public func reset() throws(BoardError) {
        let reply = try perform(.reset)
        guard case .done = reply else { throw unexpected("RESET", reply) }
    }

    /// Currents are measurements: a NaN or infinite one is a broken reply, refused here so that
    /// no job quantises it (converting NaN to an ADC code would stop the program).
    func requireFinite(_ amperes: [Float], _ op: String) throws(BoardError) {
        if let k = amperes.firstIndex(where: { !$0.isFinite }) {
            throw .unexpectedReply(operation: op, reply: "current \(k) is \(amperes[k]) A; a board reports finite currents")
        }
    }

    /// A ranged request's reply flags every value; a plain one's flags none.
    private func requireFlags(_ c: Currents, ranged: Bool, _ op: String) throws(BoardError) {
        let flags = c.saturated?.count
        // No values carry no flags: an empty reply has no mask either way.
        if ranged ? (flags ?? 0) != c.amperes.count : flags != nil {
            throw .unexpectedReply(operation: op, reply: ranged
                ? "\(c.amperes.count) currents with \(flags ?? 0) saturation flags; a sense range flags every value"
                : "saturation flags in reply to a request that chose no sense range")
        }
    }

    func unexpected(_ op: String, _ reply: Reply) -> BoardError {
        if case .fault(let f) = reply { return .fault(f) }
        return .unexpectedReply(operation: op, reply: String(describing: reply).prefix(120).description)
    }
}
