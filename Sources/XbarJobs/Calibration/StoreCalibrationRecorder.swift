import Foundation
import XbarDevice
import XbarInstrument
import XbarStore

/// Records a calibration's measurements in a run of the run store: the STM read trains and
/// the pulse-response curves, so the fit can be redone or checked later; and, when the
/// periphery was measured, each tile it overwrote as a shadow tile (what the tile now holds, as
/// read), so later jobs and the fallback know.
public final class StoreCalibrationRecorder: CalibrationRecorder {
    public let store: RunStore
    public let runID: Int64

    public init(store: RunStore, runID: Int64) {
        self.store = store
        self.runID = runID
    }

    /// Records what the run has not recorded yet (a resumed run may have recorded its traces
    /// and curves before it was stopped while fitting).
    public func record(_ measurements: CalibrationMeasurements) throws {
        if try store.traces(run: runID).isEmpty {
            try store.saveTraces(run: runID, measurements.stmTraces.map(\.record))
        }
        var curves: [PulseResponseRecord] = []
        for cell in measurements.nonVolatile {
            for c in cell.setCurves + cell.resetCurves {
                curves.append(PulseResponseRecord(tile: Int(cell.tile), row: Int(cell.cell.row), column: Int(cell.cell.column),
                                                  polarity: c.polarity.rawValue, amplitudeVolts: c.amplitudeVolts,
                                                  widthSeconds: c.widthSeconds, conductancesSiemens: c.conductancesSiemens))
            }
        }
        if try store.pulseResponses(run: runID).isEmpty {
            try store.savePulseResponses(run: runID, curves)
        }
        for p in measurements.peripheryColumnTiles + [measurements.periphery].compactMap({ $0 }) {
            let siemens = p.lastReadSiemens
            try store.saveShadowTile(run: runID, ShadowMap.Tile(index: Int(p.tile), rows: p.rows, columns: p.columns, siemens: siemens,
                                                                verifiedAt: [Date](repeating: Date(), count: siemens.count)))
        }
    }
}

extension RunStore {
    /// Registers the calibration file at `path` (reading and checking it) and returns its id;
    /// the same content registered before keeps its id.
    ///
    /// - Parameter runID: the run of this store that measured it, when known. The run the file
    ///   names is not taken instead: it is a run of the store the file was made with, which
    ///   may be another one (a shipped calibration), where that number means nothing.
    /// - Throws: ``CalibrationFileError`` when the file is unreadable or not a calibration.
    public func registerCalibrationFile(path: String, runID: Int64? = nil) throws -> Int64 {
        let file = try CalibrationFile.load(path: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CalibrationFileError.unreadable(path: path, reason: "vanished while reading")
        }
        let formatter = ISO8601DateFormatter()
        let created = formatter.date(from: file.createdAt) ?? Date()
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return try registerCalibration(path: absolute, contentDigest: SHA256Hex.digest([UInt8](data)),
                                       content: String(decoding: data, as: UTF8.self), instrumentName: file.instrument.name,
                                       instrumentDigest: file.instrument.digest, formatVersion: file.formatVersion,
                                       createdAt: created, runID: runID)
    }
}
