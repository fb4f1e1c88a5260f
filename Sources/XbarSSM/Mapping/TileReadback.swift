import XbarBoard
import XbarInstrument
import XbarJobs
import XbarWire

/// Reads back the conductances a model's weight tiles hold, through the board's read path:
/// what the host then believes the tiles hold when it corrects defective pairs
/// (``PairDefects``) and calibrates the readout (``ReadoutProbe``).
///
/// The first read uses the write-verify job's read voltage, which resolves small conductances
/// finely but puts the read ADC's full scale a little above the programmable range: a cell
/// stuck near its maximum reads as full scale, and a pair holding it would be corrected by too
/// little. Cells that read at full scale are read again at a voltage whose full scale covers
/// the largest conductance a cell can have (`gMax` four device-to-device spreads up).
///
/// Reads are averaged `averages` times: enough to tell a missed pair (several microsiemens off)
/// from read noise (1.5 % of `G` per read on `usb-4x64`, 0.26 uS at 70 uS over 16 reads) at a
/// fraction of the write-verify job's averaging, which is sized for its 1 uS tolerance.
public struct TileReadback {
    public var instrument: Instrument
    public var averages: Int

    public init(instrument: Instrument, averages: Int = 16) {
        precondition(averages >= 1, "a read averages at least once")
        self.instrument = instrument
        self.averages = averages
    }

    /// Reads every tile the map places a matrix on.
    ///
    /// - Returns: conductances per tile index, row-major, siemens.
    /// - Throws: `BoardError` when a read fails.
    public func read(_ map: WeightMap, on board: any Board) throws -> [UInt8: [Double]] {
        let settings = ProgrammingSettings.standard(for: instrument)
        let fullScale = Double(instrument.adc.readFullScaleAmperes)
        let g = instrument.device.nonVolatile.gMaxSiemens
        let wideVolts = min(settings.readVolts, Double(instrument.limits.maxReadVolts),
                            ((0.95 * fullScale / (g.mean * (1 + 4 * g.spread))) * 1000).rounded(.down) / 1000)
        var out: [UInt8: [Double]] = [:]
        for tile in Set(map.placements.map { UInt8($0.tile) }).sorted() {
            guard let info = map.tiles.first(where: { $0.tile.index == tile })?.tile else { continue }
            var siemens = try board.readConductances(.tile(tile), readVolts: settings.readVolts, averages: averages)
            let columns = Int(info.columns)
            let saturated = siemens.indices.filter { siemens[$0] * settings.readVolts >= 0.99 * fullScale }
            if !saturated.isEmpty && wideVolts < settings.readVolts {
                let cells = saturated.map { CellIndex(row: UInt16($0 / columns), column: UInt16($0 % columns)) }
                let again = try board.readConductances(.list(tile: tile, cells), readVolts: wideVolts, averages: averages)
                for (n, i) in saturated.enumerated() { siemens[i] = again[n] }
            }
            out[tile] = siemens
        }
        return out
    }
}
