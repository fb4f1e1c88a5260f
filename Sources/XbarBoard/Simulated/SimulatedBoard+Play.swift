import XbarDevice
import XbarWire

/// A program being uploaded or uploaded in full.
struct LoadedProgram {
    var id: UInt16
    var chunkCount: UInt16
    var chunksReceived: UInt16
    var actions: [PlayAction]

    var isComplete: Bool { chunksReceived == chunkCount }
}

/// A started program: where it is and what it has read.
struct ProgramRun {
    let programID: UInt16
    let actions: [PlayAction]
    /// Physics time of the program's offset zero, nanoseconds.
    let startNanoseconds: UInt64
    var next = 0
    var results: [PlayResult] = []
    var finished = false
}

extension SimulatedBoard {
    /// PLAY_LOAD: chunk 0 starts a new upload, replacing the program the board held and its
    /// results; every further chunk must be the next one of the same program.
    func playLoad(_ l: PlayLoad, limits: BoardFault?) throws -> Reply {
        guard l.programID != 0 else { throw badArgument("program ID 0 is reserved for \"no program\"") }
        guard l.chunkCount > 0, l.chunkIndex < l.chunkCount else {
            throw badArgument("program \(l.programID): chunk \(l.chunkIndex) of \(l.chunkCount) does not exist")
        }
        var upload: LoadedProgram
        if l.chunkIndex == 0 {
            upload = LoadedProgram(id: l.programID, chunkCount: l.chunkCount, chunksReceived: 0, actions: [])
        } else {
            guard let loaded = program, loaded.id == l.programID, !loaded.isComplete else {
                throw badArgument("program \(l.programID): chunk \(l.chunkIndex) arrived without chunks 0...\(l.chunkIndex - 1) before it")
            }
            guard loaded.chunkCount == l.chunkCount else {
                throw badArgument("program \(l.programID): chunk count \(l.chunkCount) differs from the \(loaded.chunkCount) announced")
            }
            guard loaded.chunksReceived == l.chunkIndex else {
                throw badArgument("program \(l.programID): expected chunk \(loaded.chunksReceived), got chunk \(l.chunkIndex); chunks load in order")
            }
            upload = loaded
        }
        var previous = upload.actions.last?.offsetNanoseconds ?? 0
        for (k, a) in l.actions.enumerated() {
            let tile = try tile(a.tile)
            try check(a.cell, in: tile.info, "program \(l.programID) chunk \(l.chunkIndex) action \(k)")
            guard a.offsetNanoseconds >= previous else {
                throw badArgument("program \(l.programID) chunk \(l.chunkIndex) action \(k): offset \(a.offsetNanoseconds) ns is before the previous action's \(previous) ns")
            }
            previous = a.offsetNanoseconds
            if case let .read(_, range?) = a.operation {
                _ = try senseRange(range, "program \(l.programID) chunk \(l.chunkIndex) action \(k)")
            }
        }
        let total = upload.actions.count + l.actions.count
        if total > Int(instrument.limits.maxProgramActions) {
            throw BoardError.fault(BoardFault(code: .outOfLimits, limit: .programLength, value: Float(total),
                                              limitValue: Float(instrument.limits.maxProgramActions),
                                              message: "program \(l.programID) of \(total) actions above the limit"))
        }
        try pass(limits)
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        if l.chunkIndex == 0 { run = nil }
        upload.actions += l.actions
        upload.chunksReceived += 1
        program = upload
        return .playLoaded(programID: l.programID, chunksReceived: upload.chunksReceived)
    }

    func playStart(_ id: UInt16) throws -> Reply {
        guard let program, program.id == id else { throw badArgument("program \(id) is not loaded") }
        guard program.isComplete else {
            throw badArgument("program \(id) is incomplete: \(program.chunksReceived) of \(program.chunkCount) chunks loaded")
        }
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let start = clock.nanoseconds
        let reads = program.actions.reduce(0) { n, a in if case .read = a.operation { return n + 1 } else { return n } }
        run = ProgramRun(programID: id, actions: program.actions, startNanoseconds: start)
        run!.results.reserveCapacity(reads)
        let started = PlayStarted(programID: id, actionCount: UInt32(program.actions.count), resultCount: UInt32(reads),
                                  startNanoseconds: clock.boardNanoseconds,
                                  durationNanoseconds: program.actions.last?.offsetNanoseconds ?? 0)
        if pacing == .virtual { runProgram(until: .max) }
        return .playStarted(started)
    }

    func playFetch(_ f: PlayFetch) throws -> Reply {
        guard let run, run.programID == f.programID else {
            throw badArgument("program \(f.programID) has no results: it has not been started since it was loaded or since the last RESET")
        }
        let available = run.results.count
        guard Int(f.firstResult) <= available else {
            throw badArgument("program \(f.programID): result \(f.firstResult) asked, \(available) available so far")
        }
        clock.advance(by: timing.requestOverheadSeconds.wholeNanoseconds)
        let first = Int(f.firstResult)
        let count = min(Int(f.maxResults), Self.maxPlayResultsPerFetch, available - first)
        let results = Array(run.results[first..<(first + count)])
        return .playData(PlayData(programID: f.programID, firstResult: f.firstResult, results: results,
                                  complete: run.finished && first + count == available))
    }

    /// Carries out the running program's actions due up to physics time `limit` (nanoseconds),
    /// each at its offset (or as soon as the previous action has ended).
    ///
    /// STM nodes have a driver and a sense amplifier each, so a run of actions of one kind at one
    /// offset on an STM tile happens at once: pulses on distinct nodes together (the run lasts
    /// its longest width), reads of one tile row in one conversion time (their results share a
    /// timestamp). Non-volatile tiles share their lines, so their actions stay one after another.
    func runProgram(until limit: UInt64) {
        guard var current = run, !current.finished else { return }
        run = nil
        defer { run = current }
        let readTime = timing.readSeconds.wholeNanoseconds
        while current.next < current.actions.count {
            let a = current.actions[current.next]
            let due = current.startNanoseconds + a.offsetNanoseconds
            if due > limit { return }
            clock.advance(to: due)
            // Geometry was checked at load time and RESET drops programs, so the tile exists.
            guard let tile = tiles[Int(a.tile)] else { break }
            let together = simultaneousRun(from: current.next, in: current.actions, tile: tile)
            switch a.operation {
            case .pulse:
                var longest = 0.0
                for k in together {
                    guard case let .pulse(volts, width) = current.actions[k].operation else { continue }
                    let w = Double(width)
                    longest = max(longest, w)
                    complianceHits += UInt64(applyPulse(tile, current.actions[k].cell, volts: Double(volts), width: w,
                                                        scheme: instrument.defaultBiasScheme))
                    pulsesApplied += 1
                }
                clock.advance(by: longest.wholeNanoseconds)
            case .read:
                refresh(tile)
                let stamp = clock.boardNanoseconds
                for k in together {
                    guard case let .read(volts, rangeIndex) = current.actions[k].operation else { continue }
                    let amperes: Float
                    // The range was checked when the program loaded.
                    if let rangeIndex, Int(rangeIndex) < senseRanges.count {
                        let (analog, nonlinear) = senseCurrent(tile, current.actions[k].cell, volts: Double(volts))
                        amperes = Float(convertRead(analog, in: senseRanges[Int(rangeIndex)], nonlinear: nonlinear).value)
                    } else {
                        amperes = Float(sense(tile, current.actions[k].cell, volts: Double(volts)))
                    }
                    current.results.append(PlayResult(actionIndex: UInt32(k), timestampNanoseconds: stamp,
                                                      amperes: amperes))
                }
                clock.advance(by: readTime)
            }
            current.next = together.upperBound
        }
        current.finished = true
    }

    /// The actions from `start` on that happen at once with it: on an STM tile, the following
    /// actions of the same kind at the same offset on the same tile (reads: of the same row) on
    /// cells not yet in the run; otherwise `start` alone.
    private func simultaneousRun(from start: Int, in actions: [PlayAction], tile: SimulatedTile) -> Range<Int> {
        guard case .shortTermMemory = tile else { return start..<(start + 1) }
        let first = actions[start]
        let isPulse: Bool
        if case .pulse = first.operation { isPulse = true } else { isPulse = false }
        var cells: Set<CellIndex> = [first.cell]
        var end = start + 1
        while end < actions.count {
            let b = actions[end]
            guard b.offsetNanoseconds == first.offsetNanoseconds, b.tile == first.tile, !cells.contains(b.cell) else { break }
            switch b.operation {
            case .pulse: guard isPulse else { return start..<end }
            case .read: guard !isPulse, b.cell.row == first.cell.row else { return start..<end }
            }
            cells.insert(b.cell)
            end += 1
        }
        return start..<end
    }
}
