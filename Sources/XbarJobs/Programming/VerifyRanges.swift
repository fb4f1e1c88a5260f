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
    /// Bands of equal width from zero to the highest target read; bands that end in the same
    /// range with the same averaging are read together.
    public var bands: Int = 8
    /// A band is read in the smallest range that holds its top current times this: a cell read
    /// while still on its way to its target may be above it.
    public var headroom: Double = 1.25

    public init(ranges: [SenseRange], adcBits: Int) {
        self.ranges = ranges
        self.adcBits = adcBits
    }

    /// The sense ranges a board's IDENTIFY lists (``XbarBoard/Board/identify()`` asks for them).
    ///
    /// - Throws: ``ProgrammingError/noSenseRanges(model:serial:)`` when it lists none.
    public init(board identity: BoardIdentity) throws(ProgrammingError) {
        guard let ranges = identity.senseRanges, !ranges.isEmpty else {
            throw .noSenseRanges(model: identity.model, serial: identity.serialNumber)
        }
        self.init(ranges: ranges, adcBits: Int(identity.adc.bits))
    }

    /// One planned verify READ: cells (row-major indices), the range index, the averages.
    public struct Read: Hashable, Sendable {
        public var cells: [Int]
        public var range: Int
        public var averages: Int
    }

    /// The noise one conversion in range `range` adds to a conductance read at `readVolts`,
    /// siemens: the range's input noise and its quantisation (a step over √12).
    public func converterSiemens(range: Int, readVolts: Double) -> Double {
        let r = ranges[range]
        let step = Double(r.fullScaleAmperes) / Double(1 << adcBits)
        let amperes = (Double(r.noiseAmperes).squared + step.squared / 12).squareRoot()
        return amperes / readVolts
    }

    /// The smallest range that holds `amperes`, or the largest when none does.
    public func range(holding amperes: Double) -> Int {
        let byScale = ranges.indices.sorted { ranges[$0].fullScaleAmperes < ranges[$1].fullScaleAmperes }
        return byScale.first { Double(ranges[$0].fullScaleAmperes) >= amperes } ?? byScale[byScale.count - 1]
    }

    /// The next larger range than `range`, or nil when it is the largest.
    public func larger(than range: Int) -> Int? {
        let scale = ranges[range].fullScaleAmperes
        return ranges.indices.filter { ranges[$0].fullScaleAmperes > scale }
            .min { ranges[$0].fullScaleAmperes < ranges[$1].fullScaleAmperes }
    }

    /// Averages for cells up to `topSiemens` read in `range`, by the criterion of
    /// ``ProgrammingSettings/verifyAverages(readNoiseSpread:highSiemens:toleranceSiemens:maxAverages:)``
    /// (one verify read's noise at the top an eighth of the tolerance) with the range's own noise
    /// and quantisation added; never more than the settings' unranged verify reads average.
    public func averages(topSiemens: Double, range: Int, settings: ProgrammingSettings) -> Int {
        let sigma = settings.readNoise(at: topSiemens, averages: 1,
                                       converterSiemens: converterSiemens(range: range, readVolts: settings.readVolts))
        let wanted = (8 * sigma / settings.toleranceSiemens).squared.rounded(.up)
        guard wanted.isFinite, wanted < Double(settings.verifyAverages) else { return settings.verifyAverages }
        return max(Int(wanted), 1)
    }

    /// The verify reads of `cells` (row-major indices) with targets `targetSiemens` (indexed by
    /// cell), lowest band first; empty for no cells.
    public func plan(cells: [Int], targetSiemens: [Double], settings: ProgrammingSettings) -> [Read] {
        guard let top = cells.map({ targetSiemens[$0] }).max(), top > 0 else {
            return cells.isEmpty ? [] : [Read(cells: cells, range: range(holding: .infinity), averages: settings.verifyAverages)]
        }
        let width = top / Double(bands)
        var reads: [Read] = []
        var byBand = [[Int]](repeating: [], count: bands)
        for i in cells { byBand[min(max(Int(targetSiemens[i] / width), 0), bands - 1)].append(i) }
        for (k, members) in byBand.enumerated() where !members.isEmpty {
            let bandTop = width * Double(k + 1)
            let r = range(holding: bandTop * headroom * settings.readVolts)
            let n = averages(topSiemens: bandTop, range: r, settings: settings)
            if let last = reads.last, last.range == r, last.averages == n {
                reads[reads.count - 1].cells += members
            } else {
                reads.append(Read(cells: members, range: r, averages: n))
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
