import Foundation

/// One board's periphery as drawn from ``ArrayPeripheryParameters``: every column's sense
/// amplifier gain and offset (MVM path) on each non-volatile tile, and the non-linearity of
/// the read and MVM converters. Drawn from the board seed alone, in a stream of their own, so
/// they do not move the cells' draws or the noise of operations.
public struct ArrayPeriphery: Hashable, Sendable {
    public struct Columns: Hashable, Sendable {
        public var gains: [Double]
        public var offsetsAmperes: [Double]
    }

    public let parameters: ArrayPeripheryParameters
    public let lines: LineResistance
    /// Column amplifiers by tile index.
    public let columns: [UInt8: Columns]
    public let readNonlinearity: ConverterNonlinearity
    public let mvmNonlinearity: ConverterNonlinearity
    /// Whether column amplifiers deviate from gain 1 and offset 0 anywhere.
    public let hasColumnErrors: Bool

    /// Draws a board's periphery.
    ///
    /// - Parameters:
    ///   - tiles: index and column count of every non-volatile tile.
    ///   - adcBits: resolution of both converters.
    ///   - mvmFullScaleAmperes: the MVM converter's full scale, the unit of the offsets' spread.
    ///   - seed: the board's seed.
    public init(parameters: ArrayPeripheryParameters, tiles: [(index: UInt8, columns: Int)], adcBits: Int,
                mvmFullScaleAmperes: Double, seed: UInt64) {
        self.parameters = parameters
        lines = LineResistance(wireOhmsPerCell: parameters.wireOhmsPerCell, lineOhms: parameters.lineOhms)
        var generator = Xoshiro256StarStar(seed: SplitMix64.mix(seed ^ 0xA77A_0000_9E71_0003))
        // One bow per board, shared by the read and MVM converters (one converter design); the
        // per-code deviations are each converter's own.
        let bow = DistributedParameter(parameters.adcBowLSB.mean * (1 + parameters.adcBowLSB.spread * generator.nextNormal()))
        var read: ConverterNonlinearity = parameters.hasConverterNonlinearity
            ? .draw(codes: 1 << adcBits, bow: bow, codeSpreadLSB: parameters.adcCodeNoiseLSB, using: &generator) : .none
        var mvm: ConverterNonlinearity = parameters.hasConverterNonlinearity
            ? .draw(codes: (1 << adcBits) - 1, bow: bow, codeSpreadLSB: parameters.adcCodeNoiseLSB, using: &generator) : .none
        // Measured deviations per code replace the drawn ones (drawn first all the same, so that
        // the draws after them do not move).
        if let table = parameters.measuredReadCodeLSB, table.count == 1 << adcBits {
            read = ConverterNonlinearity(bowLSB: parameters.hasConverterNonlinearity ? read.bowLSB : 0, codeLSB: table)
        }
        if let table = parameters.measuredMVMCodeLSB, table.count == (1 << adcBits) - 1 {
            mvm = ConverterNonlinearity(bowLSB: parameters.hasConverterNonlinearity ? mvm.bowLSB : 0, codeLSB: table)
        }
        readNonlinearity = read
        mvmNonlinearity = mvm
        var columns: [UInt8: Columns] = [:]
        for tile in tiles {
            var g = Xoshiro256StarStar(seed: SplitMix64.mix(seed ^ 0xC01_5E45_0000_0000 ^ UInt64(tile.index)))
            var gains = [Double](), offsets = [Double]()
            for _ in 0..<tile.columns {
                gains.append(1 + parameters.senseGainSpread * g.nextNormal())
                offsets.append(parameters.senseOffsetSpread * mvmFullScaleAmperes * g.nextNormal())
            }
            if let measured = parameters.measuredColumns.first(where: { $0.tile == tile.index }),
               measured.gains.count == tile.columns, measured.offsetsAmperes.count == tile.columns {
                gains = measured.gains
                offsets = measured.offsetsAmperes
            }
            columns[tile.index] = Columns(gains: gains, offsetsAmperes: offsets)
        }
        self.columns = columns
        hasColumnErrors = columns.values.contains { c in c.gains.contains { $0 != 1 } || c.offsetsAmperes.contains { $0 != 0 } }
    }
}
