import Foundation
import XbarDevice
import XbarInstrument
import Yams

/// A calibration: the device model fitted to one board's measurements, with what a user needs
/// to judge it (uncertainties, per-device fits, errors on held-out measurements) and the
/// STM time constants an SSM's shared decay constants map onto.
///
/// Written as JSON (`.json`) or YAML (`.yaml`, `.yml`), chosen by the file's extension.
public struct CalibrationFile: Hashable, Sendable, Codable {
    /// The format this code writes and reads.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// When the calibration was made, ISO 8601 UTC.
    public var createdAt: String
    public var instrument: InstrumentReference
    /// The run the measurements came from, when a run store recorded them.
    public var runID: String?
    /// The board the measurements came from ("simulated", "serial:/dev/ttyUSB0", ...).
    public var backend: String
    /// The fitted device model, in the same form as an instrument's defaults; parameters the
    /// calibration does not measure keep the instrument's default (see `notMeasured`).
    public var device: DeviceParameters
    /// One-sigma uncertainties by parameter path, e.g. `nonVolatile.setStepFraction.mean`.
    public var uncertainties: [String: Double]
    /// Parameter paths left at the instrument's default.
    public var notMeasured: [String]
    public var cells: [CellFitSummary]
    public var nodes: [NodeFitSummary]
    /// STM time-constant groups, fastest first.
    public var timeConstantGroups: [TimeConstantGroupSummary]
    public var heldOut: HeldOutErrors
    /// The fitted array periphery, when the calibration measured it (files written before it
    /// existed have none, and load).
    public var periphery: PeripheryCalibration?

    public init(formatVersion: Int = currentFormatVersion, createdAt: String, instrument: InstrumentReference, runID: String?,
                backend: String, device: DeviceParameters, uncertainties: [String: Double], notMeasured: [String],
                cells: [CellFitSummary], nodes: [NodeFitSummary], timeConstantGroups: [TimeConstantGroupSummary], heldOut: HeldOutErrors,
                periphery: PeripheryCalibration? = nil) {
        self.formatVersion = formatVersion
        self.createdAt = createdAt
        self.instrument = instrument
        self.runID = runID
        self.backend = backend
        self.device = device
        self.uncertainties = uncertainties
        self.notMeasured = notMeasured
        self.cells = cells
        self.nodes = nodes
        self.timeConstantGroups = timeConstantGroups
        self.heldOut = heldOut
        self.periphery = periphery
    }
}

/// Which instrument a calibration was made for.
public struct InstrumentReference: Hashable, Sendable, Codable {
    public var name: String
    public var version: String
    /// The instrument's ``Instrument/contentDigest`` when the calibration was made.
    public var digest: String

    public init(name: String, version: String, digest: String) {
        self.name = name
        self.version = version
        self.digest = digest
    }

    public init(_ instrument: Instrument) {
        self.init(name: instrument.name, version: instrument.version, digest: instrument.contentDigest)
    }
}

/// The fit of one sampled non-volatile cell.
public struct CellFitSummary: Hashable, Sendable, Codable {
    public var tile: UInt8
    public var row: UInt16
    public var column: UInt16
    /// "ok", "stuck-at-min", "stuck-at-max" or "not-converged".
    public var status: String
    public var gMinSiemens: Double?
    public var gMaxSiemens: Double?
    public var setStepFraction: Double?
    public var setThresholdVolts: Double?
    public var resetStepFraction: Double?
    public var resetThresholdVolts: Double?
    /// RMS of the one-step residuals over both polarities, as a fraction of the cell's range.
    public var relativeStepResidual: Double?
    /// RMS error of the predicted held-out curves, as a fraction of the cell's range.
    public var heldOutRelativeRMS: Double?
}

/// The fit of one STM state node.
public struct NodeFitSummary: Hashable, Sendable, Codable {
    public var tile: UInt8
    public var row: UInt16
    public var column: UInt16
    public var converged: Bool
    public var tauSeconds: Double
    public var tauUncertainty: Double
    public var slowTauSeconds: Double?
    public var slowFraction: Double?
    public var baseSiemens: Double
    public var ceilingSiemens: Double
    public var incrementFraction: Double?
    public var thresholdVolts: Double?
    /// Index of the node's time-constant group.
    public var group: Int
    /// RMS error of the predicted held-out reads, as a fraction of the held-out reads' volatile range.
    public var heldOutRelativeRMS: Double?
    /// The node's STM device class, nil for the default population (absent in files of boards
    /// without classes).
    public var deviceClass: String?
}

/// One group of STM time constants.
public struct TimeConstantGroupSummary: Hashable, Sendable, Codable {
    /// Geometric mean of the members' time constants, seconds.
    public var centerSeconds: Double
    public var minSeconds: Double
    public var maxSeconds: Double
    public var relativeSpread: Double
    public var nodeCount: Int
}

/// How well the calibrated model predicts measurements the fit never saw.
public struct HeldOutErrors: Hashable, Sendable, Codable {
    /// RMS over held-out pulse-response points of (predicted - measured) / (gMax - gMin) of the cell.
    public var nonVolatileRelativeRMS: Double?
    public var nonVolatileCurves: Int
    /// What was held out of the non-volatile fit.
    public var nonVolatileHeldOut: String
    /// RMS over held-out STM reads of (predicted - measured) / (volatile range of the trace's node).
    public var stmRelativeRMS: Double?
    public var stmTraces: Int
    public var stmHeldOut: String
}
