import XbarBoard
import XbarInstrument
import XbarWire

extension ReadoutProbe {
    /// Splits the converter's deviation near mid-scale from the columns' offsets.
    ///
    /// Probes in the converter's widest range cannot tell them apart: near zero current the
    /// converter's bow (a fraction of a step, the same fraction in every range: one converter
    /// behind a switched amplifier) reads like one more offset, so the straight-line fit puts it
    /// into every column's offset, in amperes of the wide range's step. A product converted in
    /// a sense range then takes off a wide step's worth of bow where the range added a fraction
    /// of its own small step: on usb-4x64 with a 1 LSB bow, 7 uA off every column of a 64 uA
    /// product (14 of its steps). Zero-input conversions in a sense range tell the two apart:
    /// what is left there after the table and the offsets, `-b (1 - s / S)` for range step `s`
    /// and wide step `S`, gives the shared bow `b` (amperes at the wide step), which moves from
    /// the offsets into the code table (into every code the probes measured; codes beyond their
    /// reach take the bow's parabola, zero at the ends of the range).
    ///
    /// - Parameters:
    ///   - fitted: the tile as fitted from the wide range's probes.
    ///   - codes: output codes either side of zero of the wide range (127 for 8 bits).
    /// - Returns: the tile unchanged when the board has no sense range narrow enough to hold
    ///   every column's offset at half its full scale, or no conversion came back unsaturated.
    /// - Throws: `BoardError` when the MVM fails.
    func separatingConverterBow(_ fitted: ReadoutCalibration.Tile, rows: Int, columns: Int, on board: any Board,
                                instrument: Instrument, wideStepAmperes wide: Double, codes: Int) throws -> ReadoutCalibration.Tile {
        guard let table = fitted.codeDeviationsAmperes, !table.isEmpty else { return fitted }
        // The bow of an 8-bit converter is a few steps at most: an offset's true size is within
        // two wide steps of the fitted one.
        let largest = (fitted.offsetsAmperes.map(abs).max() ?? 0) + 2 * wide
        let bits = Int(instrument.adc.bits)
        guard let range = instrument.senseRanges.enumerated()
            .filter({ 0.5 * Double($0.element.fullScaleAmperes) >= largest && Double($0.element.fullScaleAmperes) < 0.5 * wide * Double(codes) })
            .min(by: { $0.element.fullScaleAmperes < $1.element.fullScaleAmperes }) else { return fitted }
        let step = Double(range.element.fullScaleAmperes) / Double((1 << (bits - 1)) - 1)
        let vectors = 32
        let reply = try board.mvm(MatrixVectorProduct(tile: fitted.tile, encoding: .voltage, readVolts: 0, inputLength: UInt16(rows),
                                                      inputs: [Float](repeating: 0, count: vectors * rows), senseRange: UInt8(range.offset)))
        var sum = 0.0, count = 0
        for (k, y) in reply.amperes.enumerated() where reply.saturated?[k] != true {
            sum += fitted.linearised(Double(y), step: step, tableStep: wide) - fitted.offsetsAmperes[k % columns]
            count += 1
        }
        guard count > 0 else { return fitted }
        let bow = -(sum / Double(count)) / (1 - step / wide)
        let reach = table.count / 2
        var deviations = [Double](repeating: 0, count: 2 * max(codes, reach) + 1)
        let middle = deviations.count / 2
        for code in -middle...middle {
            if abs(code) <= reach {
                deviations[code + middle] = table[code + reach] + bow
            } else {
                let x = Double(code) / Double(codes)
                deviations[code + middle] = bow * max(1 - x * x, 0)
            }
        }
        var tile = fitted
        tile.offsetsAmperes = fitted.offsetsAmperes.map { $0 - bow }
        tile.codeDeviationsAmperes = deviations
        return tile
    }
}
