import Foundation
import XbarBoard
import XbarDevice
import XbarInstrument
import XbarWire

/// Where a calibration's measurements are recorded (a run of the run store), before fitting,
/// so a failed fit loses no measurement.
public protocol CalibrationRecorder {
    /// Records everything measured: STM read trains and pulse-response curves.
    func record(_ measurements: CalibrationMeasurements) throws
}

/// Calibrates a board's device model: runs a ``CalibrationPlan`` on a ``Board`` and fits
/// the measurements into a ``CalibrationFile``.
public struct Calibrator {
    public var instrument: Instrument
    public var plan: CalibrationPlan

    public init(instrument: Instrument, plan: CalibrationPlan) {
        self.instrument = instrument
        self.plan = plan
    }

    /// A stage of a calibration, for progress reports.
    public enum Stage: String, Sendable {
        case nonVolatileCurves = "pulse-response curves"
        case stmTraces = "STM read trains"
        case periphery = "array periphery"
        case fitting = "fitting"
    }

    /// Measures. Checks the board's identity against the instrument first.
    ///
    /// - Parameters:
    ///   - parts: parts measured before (a resumed calibration); they are not measured again.
    ///   - partMeasured: called with all parts so far after each part is measured (to save them).
    ///   - shouldStop: asked before each part; true stops there with ``JobInterrupted``.
    /// - Throws: ``BoardError`` (including `.identityMismatch`), ``STMSweep/Failure``,
    ///   ``JobInterrupted``, and what `partMeasured` throws.
    public func measure(on board: any Board, resuming parts: CalibrationParts = CalibrationParts(),
                        partMeasured: (CalibrationParts) throws -> Void = { _ in }, shouldStop: () -> Bool = { false },
                        progress: (Stage, Int, Int) -> Void = { _, _, _ in }) throws -> CalibrationMeasurements {
        let identity = try board.identify()
        guard identity.tiles == instrument.tiles else {
            throw BoardError.identityMismatch("board \(identity.model) reports tiles \(identity.tiles.map { "\($0.index):\($0.rows)x\($0.columns)" }), instrument \(instrument.name) describes \(instrument.tiles.map { "\($0.index):\($0.rows)x\($0.columns)" })")
        }
        let payload = Int(identity.maxPayloadBytes)
        var parts = parts
        parts.backend = board.backendDescription
        func checkpoint() throws { if shouldStop() { throw JobInterrupted() } }
        if let p = plan.nonVolatile, parts.nonVolatile == nil {
            try checkpoint()
            parts.nonVolatile = try p.measure(on: board, maxPayloadBytes: payload) { progress(.nonVolatileCurves, $0, $1) }
            try partMeasured(parts)
        }
        // One population after another; progress counts the sweep points of all of them.
        let total = plan.shortTermMemory.reduce(0) { $0 + $1.sweep.repetitions * $1.sweep.points.count }
        var before = 0
        for (index, part) in plan.shortTermMemory.enumerated() {
            let s = part.sweep
            if index >= parts.shortTermMemory.count {
                try checkpoint()
                let traces = try s.run(on: board, limits: instrument.limits, tile: instrument.tile(s.tile), maxPayloadBytes: payload) {
                    done, _ in progress(.stmTraces, before + done, total)
                }
                parts.shortTermMemory.append(traces)
                try partMeasured(parts)
            }
            before += s.repetitions * s.points.count
        }
        if let p = plan.periphery, parts.periphery == nil {
            try checkpoint()
            progress(.periphery, 0, 1)
            let columnTiles = try p.measureColumnTiles(on: board, instrument: instrument, maxPayloadBytes: payload)
            parts.periphery = try p.measure(on: board, instrument: instrument, maxPayloadBytes: payload)
            parts.peripheryColumnTiles = columnTiles
            progress(.periphery, 1, 1)
            try partMeasured(parts)
        }
        guard let measurements = parts.measurements(for: plan) else {
            // Parts saved by another plan (a changed instrument file) do not line up with this one.
            throw CalibrationPartsMismatch(measured: parts.progress(for: plan).measured, planned: parts.progress(for: plan).total)
        }
        return measurements
    }

    /// Fits measurements into a calibration file.
    ///
    /// - Throws: ``CalibrationError`` when too few devices could be fitted,
    ///   ``LeastSquaresError`` when a population fit is malformed.
    public func fit(_ measurements: CalibrationMeasurements, backend: String, runID: String? = nil,
                    createdAt: Date = Date()) throws -> CalibrationFile {
        var device = instrument.device
        var uncertainties: [String: Double] = [:]
        var notMeasured: [String] = []
        var cells: [CellFitSummary] = [], nodes: [NodeFitSummary] = [], groups: [TimeConstantGroupSummary] = []
        var held = HeldOutErrors(nonVolatileRelativeRMS: nil, nonVolatileCurves: 0, nonVolatileHeldOut: "none",
                                 stmRelativeRMS: nil, stmTraces: 0, stmHeldOut: "none")
        if let p = plan.nonVolatile, !measurements.nonVolatile.isEmpty {
            let a = try NonVolatileAnalysis(measurements.nonVolatile, plan: p, instrument: instrument)
            device.nonVolatile = a.parameters
            uncertainties.merge(a.uncertainties) { $1 }
            notMeasured += a.notMeasured
            cells = a.cells
            held.nonVolatileRelativeRMS = a.heldOutRelativeRMS
            held.nonVolatileCurves = a.heldOutCurves
            held.nonVolatileHeldOut = a.heldOutDescription
        } else {
            notMeasured.append("nonVolatile")
        }
        let stm = try ShortTermMemoryPopulations(measurements.stmTraces, plan: plan, instrument: instrument)
        device.shortTermMemory = stm.device.shortTermMemory
        device.shortTermMemoryClasses = stm.device.shortTermMemoryClasses
        uncertainties.merge(stm.uncertainties) { $1 }
        notMeasured += stm.notMeasured
        nodes = stm.nodes
        groups = stm.groups
        held.stmRelativeRMS = stm.heldOutRelativeRMS
        held.stmTraces = stm.heldOutTraces
        held.stmHeldOut = stm.heldOutDescription
        var periphery: PeripheryCalibration?
        if let p = plan.periphery, let m = measurements.periphery {
            let a = try PeripheryAnalysis(m, plan: p, instrument: instrument)
            var parameters = a.parameters
            // Every other tile's own amplifiers, fitted the same way; the lines and converters
            // stay the periphery tile's (one design, one converter per board).
            for other in measurements.peripheryColumnTiles {
                parameters.measuredColumns += try PeripheryAnalysis(other, plan: p, instrument: instrument).parameters.measuredColumns
            }
            let gains = parameters.measuredColumns.flatMap(\.gains), offsets = parameters.measuredColumns.flatMap(\.offsetsAmperes)
            parameters.senseGainSpread = SampleMoments(gains).standardDeviation
            parameters.senseOffsetSpread = SampleMoments(offsets).standardDeviation / Double(instrument.adc.mvmFullScaleAmperes)
            periphery = PeripheryCalibration(tile: m.tile, parameters: parameters,
                                             uncertainties: a.uncertainties, notMeasured: a.notMeasured,
                                             heldOutProbes: a.heldOutProbes, heldOutRelativeRMS: a.heldOutRelativeRMS,
                                             heldOutIdealRelativeRMS: a.heldOutIdealRelativeRMS,
                                             fitResidualRelativeRMS: a.fitResidualRelativeRMS)
            // The whole periphery tile sees stuck cells that the sampled cells are too few for
            // (on 1T1R tiles: see StuckCellSurvey).
            if plan.nonVolatile != nil, instrument.tile(m.tile)?.kind == .nonVolatile1T1R, let survey = StuckCellSurvey(m, plan: p), survey.drivenHigh > 0, survey.drivenLow > 0 {
                device.nonVolatile.stuckAtMinRate = survey.atMinRate
                device.nonVolatile.stuckAtMaxRate = survey.atMaxRate
                uncertainties["nonVolatile.stuckAtMinRate"] = survey.atMinUncertainty
                uncertainties["nonVolatile.stuckAtMaxRate"] = survey.atMaxUncertainty
            }
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return CalibrationFile(createdAt: formatter.string(from: createdAt), instrument: InstrumentReference(instrument),
                               runID: runID, backend: backend, device: device, uncertainties: uncertainties,
                               notMeasured: notMeasured, cells: cells, nodes: nodes, timeConstantGroups: groups, heldOut: held,
                               periphery: periphery)
    }

    /// Measures, records the measurements, and fits them.
    ///
    /// - Parameters:
    ///   - runID: the run the measurements belong to; the file names it.
    ///   - parts, partMeasured, shouldStop: as for ``measure(on:resuming:partMeasured:shouldStop:progress:)``.
    public func calibrate(on board: any Board, recorder: (any CalibrationRecorder)? = nil, runID: String? = nil,
                          resuming parts: CalibrationParts = CalibrationParts(),
                          partMeasured: (CalibrationParts) throws -> Void = { _ in }, shouldStop: () -> Bool = { false },
                          progress: (Stage, Int, Int) -> Void = { _, _, _ in }) throws -> (CalibrationFile, CalibrationMeasurements) {
        let measurements = try measure(on: board, resuming: parts, partMeasured: partMeasured, shouldStop: shouldStop,
                                       progress: progress)
        try recorder?.record(measurements)
        progress(.fitting, 0, 1)
        let file = try fit(measurements, backend: board.backendDescription, runID: runID)
        progress(.fitting, 1, 1)
        return (file, measurements)
    }
}

/// Saved calibration parts that do not match the plan they are resumed or refitted with.
public struct CalibrationPartsMismatch: Error, Hashable, Sendable, CustomStringConvertible {
    public var measured: Int
    public var planned: Int

    public var description: String {
        "the run's saved measurements do not match its plan (\(measured) of \(planned) parts line up); has the instrument file changed?"
    }
}
