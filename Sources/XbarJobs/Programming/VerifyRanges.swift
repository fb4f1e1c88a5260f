import XbarWire

/// Verify reads in a board's sense ranges (READ with a range, protocol §7.5), the cells grouped
/// into bands by their targets, each band averaged only as much as its own top needs.
///
/// A cell's read noise grows with its conductance, so the one averaging count sized for the top
/// of the programmable range (``ProgrammingSettings/verifyAverages``) is far more than a cell
/// with a low target needs: the averages a band needs grow with the square of its top. A small
/// range also converts with a finer step and less noise than the ADC's read full scale.
public struct VerifyRanges: Hashable, Sendable {
    /// The board's sense ranges, in its order (a READ names a range by its index here).
    public var ranges: [SenseRange]
    /// Bits of the read converter: a conversion's step is a range's full scale over 2^bits.
    public var adcBits: Int
    /// The ADC's read full scale, amperes: a READ without a range converts there (without
    /// saturation flags). A band it holds in a finer step than the smallest range that holds
    /// the band is read there: a coarser step reads a cell's conductance with a larger bias.
    public var readFullScaleAmperes: Double
    /// Bands of equal width from zero to the highest target read; bands that end in the same
    /// range with the same averaging are read together.
    public var bands: Int = 8
    /// A band is read in the smallest range that holds its top current times this: a cell read
    /// while still on its way to its target may be above it.
    public var headroom: Double = 1.25
    /// Bands of a full verify read (every programmed cell): each distinct range and averaging
    /// is one READ, so fewer bands take fewer round trips for more conversions.
    public var fullReadBands: Int = 8
    /// Whether a batch's cells are verified by the batch itself, each in its band's range and
    /// averaging (PULSE_BATCH verify groups, capability ``XbarWire/Capabilities/rangedVerify``):
    /// one round trip per batch. Otherwise the batch goes out without a verify read and its
    /// cells are read after it, one READ per band.
    public var inBatch: Bool

    public init(ranges: [SenseRange], adcBits: Int, readFullScaleAmperes: Double, inBatch: Bool = false) {
        self.ranges = ranges
        self.adcBits = adcBits
        self.readFullScaleAmperes = readFullScaleAmperes
        self.inBatch = inBatch
    }

    /// The sense ranges a board's IDENTIFY lists (``XbarBoard/Board/identify()`` asks for them);
    /// verified in the batch when the board reports ``XbarWire/Capabilities/rangedVerify``.
    ///
    /// - Throws: ``ProgrammingError/noSenseRanges(model:serial:)`` when it lists none.
    public init(board identity: BoardIdentity) throws(ProgrammingError) {
        guard let ranges = identity.senseRanges, !ranges.isEmpty else {
            throw .noSenseRanges(model: identity.model, serial: identity.serialNumber)
        }
        self.init(ranges: ranges, adcBits: Int(identity.adc.bits), readFullScaleAmperes: Double(identity.adc.readFullScaleAmperes),
                  inBatch: identity.capabilities.contains(.rangedVerify))
    }

    /// One planned verify READ: cells (row-major indices), the range index (nil: the ADC's read
    /// full scale), the averages.
    public struct Read: Hashable, Sendable {
        public var cells: [Int]
        public var range: Int?
        public var averages: Int
    }

    /// Full scale of range `range` (nil: the ADC's read full scale), amperes.
    public func fullScaleAmperes(_ range: Int?) -> Double {
        range.map { Double(ranges[$0].fullScaleAmperes) } ?? readFullScaleAmperes
    }

    /// The noise one conversion in range `range` (nil: the read full scale, whose noise the
    /// board does not declare) adds to a conductance read at `readVolts`, siemens: the range's
    /// input noise and its quantisation (a step over √12).
    public func converterSiemens(range: Int?, readVolts: Double) -> Double {
        let step = fullScaleAmperes(range) / Double(1 << adcBits)
        let noise = range.map { Double(ranges[$0].noiseAmperes) } ?? 0
        return (noise.squared + step.squared / 12).squareRoot() / readVolts
    }

    /// The smallest of the ranges and the read full scale that holds `amperes`, or the largest
    /// range when none does.
    public func range(holding amperes: Double) -> Int? {
        let byScale = ([nil] + ranges.indices.map { Optional($0) }).sorted { fullScaleAmperes($0) < fullScaleAmperes($1) }
        return byScale.first { fullScaleAmperes($0) >= amperes } ?? ranges.indices.max { fullScaleAmperes($0) < fullScaleAmperes($1) }
    }

    /// The next range larger than `range` (nil: the read full scale), or nil when none is.
    public func larger(than range: Int?) -> Int? {
        let scale = fullScaleAmperes(range)
        return ranges.indices.filter { fullScaleAmperes($0) > scale }.min { fullScaleAmperes($0) < fullScaleAmperes($1) }
    }

    /// Averages for cells up to `topSiemens` read in `range`, by the criterion of
    /// ``ProgrammingSettings/verifyAverages(readNoiseSpread:highSiemens:toleranceSiemens:maxAverages:)``
    /// (one verify read's noise at the top an eighth of the tolerance) with the range's own noise
    /// and quantisation added; never more than the settings' unranged verify reads average.
    public func averages(topSiemens: Double, range: Int?, settings: ProgrammingSettings) -> Int {
        let sigma = settings.readNoise(at: topSiemens, averages: 1,
                                       converterSiemens: converterSiemens(range: range, readVolts: settings.readVolts))
        let wanted = (8 * sigma / settings.toleranceSiemens).squared.rounded(.up)
        guard wanted.isFinite, wanted < Double(settings.verifyAverages) else { return settings.verifyAverages }
        return max(Int(wanted), 1)
    }

    /// The verify reads of `cells` (row-major indices) with targets `targetSiemens` (indexed by
    /// cell), lowest band first; empty for no cells.
    ///
    /// - Parameters:
    ///   - bands: bands of equal width from zero to the highest target (default ``bands``).
    ///   - measuredSiemens: indexed by cell, the cells' latest readings: a cell is then read in
    ///     the smallest range holding the larger of its band's top and its reading (with the
    ///     headroom), averaged as its band needs in that range. A pulse's verify uses it: a cell
    ///     being RESET from far above its band reads below where it was, and is not left to
    ///     saturate range after range.
    public func plan(cells: [Int], targetSiemens: [Double], settings: ProgrammingSettings, bands: Int? = nil,
                     measuredSiemens: [Double]? = nil) -> [Read] {
        let bands = max(bands ?? self.bands, 1)
        guard let top = cells.map({ targetSiemens[$0] }).max(), top > 0 else {
            return cells.isEmpty ? [] : [Read(cells: cells, range: range(holding: .infinity), averages: settings.verifyAverages)]
        }
        let width = top / Double(bands)
        var byBand = [[Int]](repeating: [], count: bands)
        for i in cells { byBand[min(max(Int(targetSiemens[i] / width), 0), bands - 1)].append(i) }
        var reads: [Read] = []
        for (k, members) in byBand.enumerated() where !members.isEmpty {
            let bandTop = width * Double(k + 1)
            // Within a band, one read per range the cells' readings need, smallest first.
            var byRange: [(range: Int?, cells: [Int])] = []
            for i in members {
                let reading = measuredSiemens.map { $0[i].isFinite ? $0[i] : 0 } ?? 0
                let r = range(holding: max(bandTop, reading) * headroom * settings.readVolts)
                if let j = byRange.firstIndex(where: { $0.range == r }) { byRange[j].cells.append(i) } else { byRange.append((r, [i])) }
            }
            byRange.sort { fullScaleAmperes($0.range) < fullScaleAmperes($1.range) }
            for (r, group) in byRange {
                let n = averages(topSiemens: bandTop, range: r, settings: settings)
                if let j = reads.firstIndex(where: { $0.range == r && $0.averages == n }) {
                    reads[j].cells += group
                } else {
                    reads.append(Read(cells: group, range: r, averages: n))
                }
            }
        }
        for k in reads.indices { reads[k].cells.sort() }
        return reads
    }

    /// The read again of cells that `read` found saturated: the next larger range, with the same
    /// averages; nil when `read` was in the largest range. A saturated cell is more than the
    /// headroom above its band's top, farther from its target than any tolerance a band is
    /// sized for (a quarter of a band's width at least), so its read decides no acceptance:
    /// it says where the cell is for its next pulse.
    public func reread(_ cells: [Int], after read: Read) -> Read? {
        guard let next = larger(than: read.range) else { return nil }
        return Read(cells: cells.sorted(), range: next, averages: read.averages)
    }
}
