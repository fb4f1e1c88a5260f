import Foundation

/// The measured gain and offset of every column's readout (transimpedance stage and ADC) on a
/// board's weight tiles, so that the host can undo them: `I = (I_measured - offset) / gain`;
/// every row's loss (its line's drop), which the host undoes by sending the row's voltage
/// scaled by ``Tile/rowScales``; and the MVM converter's deviation at each code.
///
/// Measured on the board with probe vectors (see ``ReadoutProbe``) against the currents the
/// host expects from the conductances it believes the tile holds, so a gain also absorbs a
/// column's average programming error. It belongs to one board and one programming of its
/// tiles; the file records which (``boardSerial``, ``instrument``) and can be kept with a
/// run and loaded again instead of measuring anew.
public struct ReadoutCalibration: Codable, Hashable, Sendable {
    /// One tile's columns.
    public struct Tile: Codable, Hashable, Sendable {
        public var tile: UInt8
        /// Measured over expected current, per column.
        public var gains: [Double]
        /// Current read with none expected, per column, amperes.
        public var offsetsAmperes: [Double]
        /// Root-mean-square residual of the fit, per column, amperes.
        public var residualAmperes: [Double]
        /// What each row's voltage is multiplied by before it is sent, at most 1: the inverse of
        /// the row's own loss (its line drop grows with the row's current), scaled so the
        /// lossiest row is sent as asked; `gains` include that scale. Nil in files written
        /// before rows were measured: every row is then sent as asked.
        public var rowScales: [Double]?
        /// The MVM converter's deviation at each output code, amperes, indexed from the most
        /// negative code (its integral non-linearity as the probes saw it; 0 for codes they did
        /// not reach often enough): subtracted from a conversion before the gain and offset.
        /// Nil in files written before it was measured.
        public var codeDeviationsAmperes: [Double]?

        public init(tile: UInt8, gains: [Double], offsetsAmperes: [Double], residualAmperes: [Double], rowScales: [Double]? = nil,
                    codeDeviationsAmperes: [Double]? = nil) {
            self.tile = tile
            self.gains = gains
            self.offsetsAmperes = offsetsAmperes
            self.residualAmperes = residualAmperes
            self.rowScales = rowScales
            self.codeDeviationsAmperes = codeDeviationsAmperes
        }

        /// A conversion with the converter's deviation at its code taken off, amperes.
        /// - Parameters:
        ///   - step: the step of the range the conversion was made in, amperes.
        ///   - tableStep: the step the deviations were measured at, amperes (the probes convert
        ///     without a sense range); nil when it is `step`. A converter deviates by the same
        ///     fraction of a step at a code in every range, so a conversion in a smaller range
        ///     takes off the table's deviation scaled down by the ratio of the steps.
        public func linearised(_ amperes: Double, step: Double, tableStep: Double? = nil) -> Double {
            guard let table = codeDeviationsAmperes, !table.isEmpty else { return amperes }
            let index = Int((amperes / step).rounded()) + table.count / 2
            return table.indices.contains(index) ? amperes - table[index] * step / (tableStep ?? step) : amperes
        }
    }

    public static let formatName = "xbarlab-readout-calibration-1"

    public var format: String
    public var instrument: String
    public var boardSerial: String
    /// When it was measured (ISO 8601).
    public var measuredAt: String
    /// Probe vectors per tile.
    public var probeVectors: Int
    public var tiles: [Tile]

    public init(instrument: String, boardSerial: String, measuredAt: Date = Date(), probeVectors: Int, tiles: [Tile]) {
        format = Self.formatName
        self.instrument = instrument
        self.boardSerial = boardSerial
        self.measuredAt = ISO8601DateFormatter().string(from: measuredAt)
        self.probeVectors = probeVectors
        self.tiles = tiles
    }

    /// The columns of a tile, or nil when the tile was not measured.
    public func tile(_ index: UInt8) -> Tile? { tiles.first { $0.tile == index } }

    /// Writes the calibration as JSON.
    ///
    /// - Throws: file system errors.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }

    /// Reads a calibration written by ``write(to:)``.
    ///
    /// - Throws: ``SSMFileError`` naming the file when it cannot be read, is not JSON of this
    ///   format, or has columns of mismatched counts.
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SSMFileError(file: path, problem: "cannot be read: \(error.localizedDescription)")
        }
        let decoded: ReadoutCalibration
        do { decoded = try JSONDecoder().decode(ReadoutCalibration.self, from: data) } catch {
            throw SSMFileError(file: path, problem: "is not a readout calibration (JSON, format \(Self.formatName)): \(error)")
        }
        guard decoded.format == Self.formatName else {
            throw SSMFileError(file: path, key: "format", problem: "is \(decoded.format), expected \(Self.formatName)")
        }
        for t in decoded.tiles where t.gains.count != t.offsetsAmperes.count || t.gains.contains(where: { !($0 > 0) }) {
            throw SSMFileError(file: path, key: "tiles[\(t.tile)]", problem: "needs one positive gain and one offset per column")
        }
        for t in decoded.tiles where t.rowScales?.contains(where: { !($0 > 0 && $0 <= 1) }) == true {
            throw SSMFileError(file: path, key: "tiles[\(t.tile)].rowScales", problem: "needs row scales above 0 and at most 1")
        }
        self = decoded
    }
}
