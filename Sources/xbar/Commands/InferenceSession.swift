import ArgumentParser
import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarSSM
import XbarStore
import XbarWire

/// A chip inference run of `xbar infer`, new or resumed: board, preparation, the job that
/// computes and records the samples, the fallback to the twin, and the summary.
struct InferenceSession {
    var arguments: InferArguments
    var runID: Int64?
    var model: SSMModel
    var samples: [EventSample]
    var reference: InferenceRun?
    var store: RunStore
    var command: InferCommand

    /// Starts a new run.
    static func start(_ arguments: InferArguments, model: SSMModel, samples: [EventSample], reference: InferenceRun?,
                      store: RunStore, command: InferCommand) throws {
        try InferenceSession(arguments: arguments, runID: nil, model: model, samples: samples, reference: reference,
                             store: store, command: command).execute()
    }

    /// Finishes run `id`, refusing when its model or data file changed since it started.
    static func resume(_ id: Int64, store: RunStore, command: InferCommand) throws {
        let record = try store.run(id)
        guard record.draft.kind == "infer" else {
            throw ValidationError("run \(id) is a \(record.draft.kind) run, not an infer run")
        }
        guard record.status != .completed else {
            throw ValidationError("run \(id) has completed; nothing to resume (see `xbar runs show \(id)`)")
        }
        let arguments = try InferArguments.decode(record.draft.argumentsJSON)
        for (what, path, digest) in [("model", arguments.model, arguments.modelDigest), ("data", arguments.data, arguments.dataDigest)] {
            guard try FileDigest.sha256(path: path) == digest else {
                throw ValidationError("run \(id): the \(what) file \(path) changed since the run started (SHA-256 differs); resuming would mix results of two files: start a new run")
            }
        }
        let model = try SSMModel(contentsOf: arguments.model)
        if model.architecture == .s4d && arguments.decayOnChip && arguments.decayIncrements == nil {
            throw ValidationError("run \(id) ran its S4D recurrence on the chip with the decay mapped as a, before it was mapped as a - 1; resuming would mix results of two mappings: start a new run")
        }
        let dataset = try EventDataset(contentsOf: arguments.data)
        let samples = Array(dataset.samples.prefix(arguments.sampleCount))
        try InferenceSession(arguments: arguments, runID: id, model: model, samples: samples, reference: nil,
                             store: store, command: command).execute()
    }

    /// The board options the run records.
    var boardOptions: BoardOptions {
        var options = command.boardOptions
        options.board = arguments.board
        options.simulation.instrument = arguments.instrument
        options.simulation.calibration = arguments.calibration
        options.simulation.seed = arguments.seed
        return options
    }

    var preparation: ChipPreparation {
        get throws {
            var preparation = ChipPreparation(readout: arguments.readout, ditherPairs: arguments.ditherPairs, decayOnChip: arguments.decayOnChip,
                                              defectThresholdSiemens: arguments.defectThresholdSiemens, usesSenseRanges: arguments.senseRanges ?? true)
            preparation.closeCalls = try arguments.closeCalls
            return preparation
        }
    }

    func execute() throws {
        var arguments = self.arguments
        let options = boardOptions
        let instrument = try options.simulation.loadInstrument()
        guard let scaling = WeightMap.Scaling(rawValue: arguments.weightScaling) else {
            throw ValidationError("run records weight scaling \"\(arguments.weightScaling)\", which this xbar does not know")
        }
        let map = try WeightMap(model: model, instrument: instrument, scaling: scaling)
        let resumed = runID != nil

        // The board. A resumed run whose board is gone goes straight to the twin when it may.
        var board: (any Board)?
        do {
            board = try options.openBoard(store: store).board
        } catch let error as BoardError where resumed && arguments.fallback == InferCommand.Fallback.twin.rawValue {
            options.announce("BOARD \(arguments.board) CANNOT BE REACHED (\(error)); the run continues on the twin")
        }
        let identity = try board?.identify()
        // A given readout calibration is read and matched to this board before any run is created.
        let givenReadout = try identity.flatMap { try givenReadoutCalibration(identity: $0, instrument: instrument) }

        if !resumed {
            guard let identity, let board else {
                throw ValidationError("\(arguments.board): no board to start the run on")
            }
            if board is SimulatedBoard && !arguments.program {
                throw ValidationError("a simulated board starts unprogrammed and lives only inside this process: add --program")
            }
            arguments.fallback = try decideFallback(board: board, identity: identity, instrument: instrument, map: map).rawValue
        }
        let id: Int64
        if let runID {
            id = runID
            try store.finishRun(id, status: .running)
        } else {
            guard let board, let identity else { throw ValidationError("\(arguments.board): no board to start the run on") }
            id = try store.startRun(try RunDraft.started(kind: "infer", board: board, identity: identity, options: options,
                                                         instrument: instrument, store: store, argumentsJSON: try arguments.encoded(),
                                                         labels: command.labels))
        }
        let recorded = try store.inferenceSamples(run: id)
        let all = samples.enumerated().map { InferenceJob.IndexedSample(index: $0.offset, sample: $0.element) }
        let pending = InferenceJob.pending(of: all, recorded: recorded)
        print("run \(id): \(resumed ? "resuming" : "inference"), \(recorded.count) of \(all.count) samples recorded, \(pending.count) to compute; store \(store.path)")
        print("fallback: \(arguments.fallback)")

        let twinFallback = arguments.fallback == InferCommand.Fallback.twin.rawValue
        // The chip the twin stands in for: the board answering now, else the one the run recorded.
        let recordedBoard = try store.run(id).draft
        let chip = (model: identity?.model ?? recordedBoard.boardModel ?? instrument.model,
                    serial: identity?.serialNumber ?? recordedBoard.boardSerial ?? "")
        let job: InferenceJob
        let display = command.progress.display()
        let interruption = Interruption()
        defer { interruption.stop() }
        do {
            var classifier: (any SampleClassifier)?
            var lostBeforeStart: BoardError?
            if let board, let identity {
                do {
                    var believed: [UInt8: [Double]] = [:]
                    // A resumed physical board still holds its weights; a simulated one died with its process.
                    if arguments.program && (!resumed || board is SimulatedBoard) {
                        believed = try programWeights(map, on: board, identity: identity, instrument: instrument, options: options, inferRun: id)
                    }
                    classifier = try prepareChip(board, identity: identity, map: map, instrument: instrument, believed: believed,
                                                 given: givenReadout, options: options, inferRun: id)
                } catch let error as BoardError where error.isBoardLost && twinFallback {
                    lostBeforeStart = error
                }
            }
            let standIn: InferenceJob.StandIn? = twinFallback
                ? { try self.prepareTwin(map: map, instrument: instrument, chip: chip, options: options) } : nil
            if classifier == nil {
                guard let standIn else { throw ValidationError("no board to run on and no fallback") }
                options.announce("BOARD LOST BEFORE THE FIRST SAMPLE\(lostBeforeStart.map { " (\($0))" } ?? ""): COMPUTING EVERY SAMPLE ON THE TWIN")
                classifier = try standIn()
            }
            job = InferenceJob(store: store, runID: id, classifier: classifier!, standIn: standIn,
                               chunkSize: arguments.chunkSize, announce: { options.announce($0) })
            display.begin("samples", total: pending.count, unit: "samples")
            job.chunkRecorded = { display.update(done: $0) }
            job.shouldStop = { interruption.isRequested }
            try job.run(pending)
            display.end()
        } catch is JobInterrupted {
            display.abandon()
            try store.finishRun(id, status: .interrupted, message: "stopped by \(interruption.signalName) between two chunks")
            FileHandle.standardError.write(Data("run \(id) interrupted; resume it with:\n  xbar infer --resume \(id) --store \(store.path)\n".utf8))
            throw ExitStatus.interrupted
        } catch {
            display.abandon()
            // Whatever stopped it, the samples recorded so far stay, and the run can be finished.
            try? store.finishRun(id, status: .failed, message: "\(error)")
            throw ValidationError("run \(id) stopped: \(error)\nresume it with: xbar infer --resume \(id) --store \(store.path)")
        }
        let note = job.fellBackAt.map { "board lost at sample \($0) (\(job.boardLoss.map { "\($0)" } ?? "")); later samples computed on the twin" }
        try store.finishRun(id, status: .completed, message: note)
        try summarise(id, computed: job.computedCount)
        printFigures(job.chunkRuns, instrument: instrument)
    }

    /// What the engines did over the chunks this process computed: requests, converter use,
    /// the states on STM nodes, where the arithmetic happened, and what it cost in energy.
    private func printFigures(_ runs: [InferenceRun], instrument: Instrument) {
        guard !runs.isEmpty else { return }
        print("  MVM requests \(runs.reduce(0) { $0 + $1.mvmRequests }), vectors \(runs.reduce(0) { $0 + $1.mvmVectors }); "
              + "ADC conversions at full scale \(runs.reduce(0) { $0 + $1.saturatedConversions }), "
              + "vectors measured again \(runs.reduce(0) { $0 + $1.remeasuredVectors })")
        let nodes = runs.compactMap(\.stateNodes)
        if !nodes.isEmpty {
            let sum = { (f: (STMStatePlayer.Statistics) -> Int) in nodes.reduce(0) { $0 + f($1) } }
            let sumSeconds = { (f: (STMStatePlayer.Statistics) -> Double) in nodes.reduce(0.0) { $0 + f($1) } }
            let events = Double(max(sum(\.events), 1)), programs = sum(\.programs)
            print(String(format: "  states on STM nodes: %d programs, %.1f pulses and %.1f reads per event, %d increments cut short, %d too small to pulse",
                         programs, Double(sum(\.pulses)) / events, Double(sum(\.reads)) / events, sum(\.incrementsCutShort), sum(\.incrementsSkipped)))
            let samples = Double(max(runs.reduce(0) { $0 + $1.labels.count }, 1))
            let board = sumSeconds(\.programBoardSeconds) + sumSeconds(\.restBoardSeconds)
            print(String(format: "  board time: %.3f s of programs for %.3f s of samples (up to %d samples a program), %.3f s of measured rest (%d measurements, %d rests extended by %.3f s); %.3f s in all, %.4f s per sample, beside %.3f s of host time (and %.3f s of rest between the nodes' gain measurements); largest read delay %.1f us; %.1f kB uploaded",
                         sumSeconds(\.programBoardSeconds), sumSeconds(\.sampleSeconds), nodes.map(\.largestSamplesPerProgram).max() ?? 0,
                         sumSeconds(\.restBoardSeconds), sum(\.restMeasurements), sum(\.restExtensions), sumSeconds(\.restExtensionSeconds),
                         board, board / samples, runs.reduce(0.0) { $0 + $1.wallSeconds }, sumSeconds(\.calibrationRestBoardSeconds),
                         1e6 * (nodes.map(\.largestReadDelaySeconds).max() ?? 0), Double(sum(\.uploadedBytes)) / 1000))
            let ideal = sumSeconds(\.idealStateSquares)
            if ideal > 0 {
                print(String(format: "  states read from the nodes vs the ideal recursion at their calibrated time constants: %.1f %% rms",
                             100 * (sumSeconds(\.stateErrorSquares) / ideal).squareRoot()))
            }
        }
        var a = HostArithmetic()
        for r in runs {
            a.arrayMultiplyAccumulates += r.arithmetic.arrayMultiplyAccumulates
            a.stateDecays += r.arithmetic.stateDecays
            a.partialSums += r.arithmetic.partialSums
            a.readoutCorrections += r.arithmetic.readoutCorrections
            a.outputScaling += r.arithmetic.outputScaling
            a.pairCorrections += r.arithmetic.pairCorrections
            a.pulsePlanning += r.arithmetic.pulsePlanning
            a.stateDecoding += r.arithmetic.stateDecoding
            a.rangePlanning += r.arithmetic.rangePlanning
            a.closeCallDecisions += r.arithmetic.closeCallDecisions
        }
        if let closeCalls = runs.compactMap(\.closeCalls).reduce(nil as CloseCallReport?, { ($0 ?? CloseCallReport()) + $1 }) {
            print("  " + closeCalls.summary)
            var fields: [String: Any] = ["repeatedSamples": closeCalls.repeatedSamples, "extraRuns": closeCalls.extraRuns,
                                         "mvmRequests": closeCalls.mvmRequests, "mvmVectors": closeCalls.mvmVectors,
                                         "boardSeconds": closeCalls.boardSeconds, "firstPassBoardSeconds": closeCalls.firstPassBoardSeconds]
            if let sigma = closeCalls.marginSigmaLogits { fields["marginSigmaLogits"] = sigma }
            JSONLines.emit("closeCalls", fields)
        }
        print(String(format: "  arithmetic: %.2f %% of the model's multiply-accumulates on the array (%.3g there; on the host %.3g: state decays %d, partial sums %d, pair corrections %d)",
                     100 * a.arrayShareOfMultiplyAccumulates, Double(a.arrayMultiplyAccumulates), Double(a.hostMultiplyAccumulates),
                     a.stateDecays, a.partialSums, a.pairCorrections))
        print(String(format: "  host operations: %.3g in all (%.2f %% of all operations), with the converters' side: readout corrections %d, output scaling %d, range planning %d, pulse planning %d, state decoding %d; close-call decisions %d",
                     Double(a.hostOperations), 100 * a.hostShare, a.readoutCorrections, a.outputScaling, a.rangePlanning,
                     a.pulsePlanning, a.stateDecoding, a.closeCallDecisions))
        JSONLines.emit("arithmetic", ["arrayMultiplyAccumulates": a.arrayMultiplyAccumulates, "hostOperations": a.hostOperations,
                                      "arrayShareOfMultiplyAccumulates": a.arrayShareOfMultiplyAccumulates,
                                      "hostMultiplyAccumulates": a.hostMultiplyAccumulates, "partialSums": a.partialSums,
                                      "hostShare": a.hostShare, "stateDecays": a.stateDecays, "readoutCorrections": a.readoutCorrections,
                                      "outputScaling": a.outputScaling, "pairCorrections": a.pairCorrections,
                                      "pulsePlanning": a.pulsePlanning, "stateDecoding": a.stateDecoding,
                                      "rangePlanning": a.rangePlanning, "closeCallDecisions": a.closeCallDecisions])
        printEnergy(runs, instrument: instrument)
    }

    /// The inference's energy on the chip, estimated, per event and per sample.
    private func printEnergy(_ runs: [InferenceRun], instrument: Instrument) {
        guard let figures = instrument.energy else {
            print("  energy: not estimated (\(instrument.name) declares no energy: section)")
            return
        }
        let j = runs.reduce(InferenceEnergy()) { $0 + $1.energy }.joules(figures)
        guard j.total > 0 else { return }
        let events = Double(max(runs.reduce(0) { $0 + $1.eventCount }, 1)), samples = Double(max(runs.reduce(0) { $0 + $1.logits.count }, 1))
        print(String(format: "  energy on the chip (estimate from %@'s converter figures): %.3g J per event, %.3g J per sample; array %.0f %%, DACs %.0f %%, ADCs %.0f %%, STM pulses %.0f %%",
                     instrument.name, j.total / events, j.total / samples,
                     100 * j.array / j.total, 100 * j.dac / j.total, 100 * j.adc / j.total, 100 * j.pulses / j.total))
        JSONLines.emit("energy", ["joulesPerEvent": j.total / events, "joulesPerSample": j.total / samples, "arrayJoules": j.array,
                                  "dacJoules": j.dac, "adcJoules": j.adc, "pulseJoules": j.pulses, "estimate": true])
    }

    /// `--fallback` as given, or its default: the twin when the chip's newest programming run
    /// wrote this map (or the chip is programmed now) and a calibration is known; none on a
    /// simulated board or a twin.
    private func decideFallback(board: any Board, identity: BoardIdentity, instrument: Instrument, map: WeightMap) throws -> InferCommand.Fallback {
        let standsIn = board is SimulatedBoard || board is DigitalTwin
        var problem: String?
        if !arguments.program {
            do {
                _ = try programmingRun(of: (identity.model, identity.serialNumber), holding: map)
            } catch {
                problem = "\(error)"
            }
        }
        if let given = command.fallback {
            if given == .twin && !standsIn, let problem {
                throw ValidationError("--fallback twin: \(problem)")
            }
            return standsIn ? .none : given
        }
        let calibrated = try arguments.calibration != nil || store.newestCalibration(instrumentName: instrument.name) != nil
        return !standsIn && problem == nil && calibrated ? .twin : .none
    }

    /// The chip's newest completed programming run, checked to have written `map`'s targets.
    ///
    /// - Throws: ``TwinError`` when there is none, or when it wrote other targets.
    private func programmingRun(of chip: (model: String, serial: String), holding map: WeightMap) throws -> Int64 {
        guard let run = try store.newestProgrammingRun(boardModel: chip.model, boardSerial: chip.serial) else {
            throw TwinError.noProgrammingRun(what: "\(chip.model) \(chip.serial)", store: store.path)
        }
        let used = Set(map.placements.map(\.tile))
        let targets = Dictionary(uniqueKeysWithValues: map.tiles.filter { used.contains(Int($0.tile.index)) }.map { ($0.tile.index, $0.siemens) })
        try TwinRecipe.checkTargets(store: store, programmingRun: run, targets: targets)
        return run
    }

    /// Write-verifies the map's tiles, recorded as a program run (outcomes and shadow map, from
    /// which the chip's twin is built); returns the verified conductances.
    private func programWeights(_ map: WeightMap, on board: any Board, identity: BoardIdentity, instrument: Instrument,
                                options: BoardOptions, inferRun: Int64) throws -> [UInt8: [Double]] {
        let used = Set(map.placements.map(\.tile))
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["programmedFor": "infer run \(inferRun)", "model": arguments.model],
                                                                options: .sortedKeys), as: UTF8.self)
        let programRun = try store.startRun(try RunDraft.started(kind: "program", board: board, identity: identity, options: options,
                                                                 instrument: instrument, store: store, argumentsJSON: json,
                                                                 labels: command.labels))
        for t in map.tiles where used.contains(Int(t.tile.index)) {
            try store.saveTargets(run: programRun, tile: Int(t.tile.index), rows: Int(t.tile.rows), columns: Int(t.tile.columns), siemens: t.siemens)
        }
        let device = try options.simulation.deviceParameters(for: instrument)
        let programmer = WriteVerifyWeightProgrammer(instrument: instrument, device: device?.nonVolatile,
                                                     journal: StoreJournal(store: store, runID: programRun), store: store, runID: programRun)
        // The board's pulse counter against the run's ledger, at the start and at the end.
        let reconciler = RunReconciler(store: store, runID: programRun, board: board, identity: identity)
        let outcomes: [TileProgrammingOutcome]
        do {
            try reconciler.begin()
            outcomes = try WeightProgramming.program(map, on: board, with: programmer)
            try reconciler.check(when: "at the end of the run")
        } catch {
            try? store.finishRun(programRun, status: .failed, message: "\(error)")
            throw error
        }
        try store.finishRun(programRun, status: .completed)
        for o in outcomes {
            print(String(format: "programmed tile %d: %.2f %% of %d cells in tolerance, %d pulses (program run %lld)",
                         Int(o.tile), 100 * o.yield, o.cells, o.pulses, programRun))
        }
        return Dictionary(uniqueKeysWithValues: outcomes.filter { !$0.measuredSiemens.isEmpty }.map { ($0.tile, $0.measuredSiemens) })
    }

    /// The readout calibration given with `--readout-calibration`, when the readout is
    /// calibrated: read and checked to be this board's.
    ///
    /// - Throws: the file's errors; `ValidationError` when it was measured on another board.
    private func givenReadoutCalibration(identity: BoardIdentity, instrument: Instrument) throws -> ReadoutCalibration? {
        guard let path = arguments.readoutCalibration, arguments.readout == .calibrated else { return nil }
        let loaded = try ReadoutCalibration(contentsOf: path)
        guard loaded.boardSerial == identity.serialNumber, loaded.instrument == instrument.name else {
            throw ValidationError("\(path): measured on board \(loaded.boardSerial) (\(loaded.instrument)), this is \(identity.serialNumber) (\(instrument.name)); measure anew without --readout-calibration")
        }
        return loaded
    }

    private func prepareChip(_ board: any Board, identity: BoardIdentity, map: WeightMap, instrument: Instrument,
                             believed: [UInt8: [Double]], given: ReadoutCalibration?, options: BoardOptions,
                             inferRun: Int64) throws -> ChipInLoopEngine {
        if let given, let path = arguments.readoutCalibration {
            print("readout calibration: \(path) (measured \(given.measuredAt))")
        }
        let touchUp = arguments.touchUp == true && arguments.readout == .calibrated && !(board is DigitalTwin)
            ? try TouchUpRun.start(board: board, identity: identity, instrument: instrument, options: options, store: store,
                                   inferRun: inferRun, model: arguments.model, labels: command.labels)
            : nil
        let prepared: ChipPreparation.Prepared
        do {
            prepared = try preparation.prepare(board: board, model: model, map: map, instrument: instrument, believed: believed,
                                               calibration: given, touchUp: touchUp?.programmer, log: { print($0) })
        } catch {
            try touchUp?.fail(error)
            throw error
        }
        try touchUp?.finish(prepared.touchUp)
        // Where the chip's cells sit now: the twin of its programming run starts from here.
        for record in prepared.readBackRecords(run: inferRun, instrument: instrument) { try store.saveReadBack(record) }
        try placeStates(prepared.engine, board: board, instrument: instrument)
        if prepared.measuredCalibration, let path = command.saveReadoutCalibration, let calibration = prepared.calibration {
            try calibration.write(to: path)
            print("readout calibration written to \(path)")
        }
        return prepared.engine
    }

    /// The chip's twin, prepared like the chip: its tiles read back and its readout calibration
    /// measured on the twin itself (the chip's would correct a periphery the twin does not have).
    private func prepareTwin(map: WeightMap, instrument: Instrument, chip: (model: String, serial: String),
                             options: BoardOptions) throws -> ChipInLoopEngine {
        let run = try programmingRun(of: chip, holding: map)
        let twin = try options.twin(of: run, instrument: instrument, store: store)
        options.announce("TWIN: \(twin.backendDescription)")
        let engine = try preparation.prepare(board: twin, model: model, map: map, instrument: instrument,
                                             log: { options.announce("twin: \($0)") }).engine
        try placeStates(engine, board: twin, instrument: instrument)
        return engine
    }

    /// Puts an event SSM's states on the board's STM nodes when the run asks for it (or the
    /// model was trained for them), as on the chip so on its twin.
    private func placeStates(_ engine: ChipInLoopEngine, board: any Board, instrument: Instrument) throws {
        engine.statePlayer = try InferCommand.statePlayer(model: model, modelPath: arguments.model, place: arguments.state,
                                                          nodeCalibration: arguments.nodeCalibration, parallelSamples: arguments.parallelSamples,
                                                          board: board, instrument: instrument)
        engine.statePlayer?.comparesStates = command.compareStates
    }

    /// Accuracy and backends of the whole run, from what the store recorded.
    private func summarise(_ id: Int64, computed: Int) throws {
        let records = try store.inferenceSamples(run: id)
        let correct = records.filter { $0.prediction == $0.label }.count
        print("computed \(computed) samples in this process; \(records.count - computed) were recorded before")
        print("chip-in-loop: " + String(format: "accuracy %.2f %% (%d of %d)", 100 * Double(correct) / Double(max(records.count, 1)),
                                         correct, records.count))
        for (backend, count) in Dictionary(grouping: records, by: \.backend).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
            print("  backend \(backend): \(count) samples")
        }
        if let reference {
            let predictions = Dictionary(uniqueKeysWithValues: records.map { ($0.sample, $0.prediction) })
            let agree = reference.predictions.enumerated().filter { predictions[$0.offset] == $0.element }.count
            print(String(format: "agreement with the reference: %.1f %% (%d of %d); accuracy difference %.1f points",
                         100 * Double(agree) / Double(records.count), agree, records.count,
                         100 * (Double(correct) / Double(max(records.count, 1)) - reference.accuracy)))
        }
        print("run \(id) completed: xbar runs show \(id) --store \(store.path)")
        var summary: [String: Any] = [
            "run": id, "status": "completed", "samples": records.count, "correct": correct,
            "accuracy": Double(correct) / Double(max(records.count, 1)), "computedNow": computed, "store": store.path,
            "backends": Dictionary(grouping: records, by: \.backend).mapValues(\.count),
        ]
        if let reference { summary["referenceAccuracy"] = reference.accuracy }
        JSONLines.emit("summary", summary)
    }
}
