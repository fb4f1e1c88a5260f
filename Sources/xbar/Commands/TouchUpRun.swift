import Foundation
import XbarBoard
import XbarInstrument
import XbarJobs
import XbarSSM
import XbarStore
import XbarWire

/// The record of an inference's touch-up: a run of kind "touch-up" whose journal holds every
/// pulse batch and read the touch-up sent, with the outcome of each cell it was given, linked to
/// the inference run in its arguments (`touchUpFor`). It saves no shadow map: the twin is built
/// from the chip's programming run, whose targets the touch-up shares.
///
/// A touch-up whose process died is never resumed: the next preparation of the inference run
/// reads the board first and touches up what that read shows, so none of the dead run's pulses is
/// sent again; its operations logged as intent are marked in doubt, and the run interrupted.
struct TouchUpRun {
    let store: RunStore
    let runID: Int64
    let programmer: WriteVerifyWeightProgrammer
    let reconciler: RunReconciler

    /// Records the run's start and the board's pulse counter.
    ///
    /// - Throws: store errors; `BoardError` from STATUS and the simulation's device parameters.
    static func start(board: any Board, identity: BoardIdentity, instrument: Instrument, options: BoardOptions,
                      store: RunStore, inferRun: Int64, model: String, labels: RunLabelOptions) throws -> TouchUpRun {
        try settleEarlier(of: inferRun, store: store)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["touchUpFor": "infer run \(inferRun)", "model": model],
                                                                options: .sortedKeys), as: UTF8.self)
        let run = try store.startRun(try RunDraft.started(kind: "touch-up", board: board, identity: identity, options: options,
                                                          instrument: instrument, store: store, argumentsJSON: json, labels: labels))
        let device = try options.simulation.deviceParameters(for: instrument)
        let programmer = WriteVerifyWeightProgrammer(instrument: instrument, device: device?.nonVolatile,
                                                     journal: StoreJournal(store: store, runID: run), store: store, runID: run)
        let reconciler = RunReconciler(store: store, runID: run, board: board, identity: identity)
        try reconciler.begin()
        return TouchUpRun(store: store, runID: run, programmer: programmer, reconciler: reconciler)
    }

    /// Earlier touch-ups of `inferRun` left running by a process that died: their intents are
    /// marked in doubt (never sent again) and the runs interrupted.
    static func settleEarlier(of inferRun: Int64, store: RunStore) throws {
        let link = "\"touchUpFor\":\"infer run \(inferRun)\""
        for r in try store.runs() where r.draft.kind == "touch-up" && r.status == .running && r.draft.argumentsJSON.contains(link) {
            for entry in try store.journal(run: r.id) where entry.state == .intent {
                try store.markInDoubt(run: r.id, seq: entry.seq)
            }
            try store.finishRun(r.id, status: .interrupted,
                                message: "the process ended during the touch-up; its pulses are not sent again (a later preparation reads the board first)")
        }
    }

    /// Checks the board's counter against the journal and completes the run.
    func finish(_ touchUp: TouchUp?) throws {
        try reconciler.check(when: "at the end of the touch-up")
        let what = touchUp.map { "\($0.cellsTouched) cells, \($0.pulses) pulses; \($0.pairsBefore) pairs drifted, \($0.pairsAfter) left" }
            ?? "no pair past the defect threshold"
        try store.finishRun(runID, status: .completed, message: what)
        if touchUp != nil { print("touch-up recorded as run \(runID): xbar runs show \(runID) --store \(store.path)") }
    }

    func fail(_ error: any Error) throws {
        try store.finishRun(runID, status: error is JobInterrupted ? .interrupted : .failed, message: "\(error)")
    }
}
