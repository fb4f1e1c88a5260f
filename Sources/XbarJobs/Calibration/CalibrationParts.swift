import Foundation

/// A calibration's measurements part by part, as they are taken: the pulse-response curves,
/// each STM population's read trains, the array periphery. Saved after every part, so an
/// interrupted calibration resumes after its last finished part and a finished one can be
/// fitted again without touching the board.
public struct CalibrationParts: Hashable, Sendable, Codable {
    /// The non-volatile curves and noise reads; nil until measured.
    public var nonVolatile: [NonVolatileCellMeasurement]?
    /// Read trains of the plan's STM populations, in the plan's order, as far as measured.
    public var shortTermMemory: [[STMTrace]]
    /// The periphery measurement; nil until measured.
    public var periphery: PeripheryMeasurement?
    /// The periphery plan's column tiles, measured with it (nil in parts saved before they were).
    public var peripheryColumnTiles: [PeripheryMeasurement]?
    /// The board the parts were measured on, as its backend describes itself (what the
    /// calibration file names); nil until a part is measured.
    public var backend: String?

    public init(nonVolatile: [NonVolatileCellMeasurement]? = nil, shortTermMemory: [[STMTrace]] = [],
                periphery: PeripheryMeasurement? = nil) {
        self.nonVolatile = nonVolatile
        self.shortTermMemory = shortTermMemory
        self.periphery = periphery
    }

    /// Parts of `plan` measured so far, and how many it has.
    public func progress(for plan: CalibrationPlan) -> (measured: Int, total: Int) {
        let total = (plan.nonVolatile == nil ? 0 : 1) + plan.shortTermMemory.count + (plan.periphery == nil ? 0 : 1)
        let measured = (plan.nonVolatile != nil && nonVolatile != nil ? 1 : 0)
            + min(shortTermMemory.count, plan.shortTermMemory.count)
            + (plan.periphery != nil && periphery != nil ? 1 : 0)
        return (measured, total)
    }

    /// Everything `plan` measures, once every part is in; nil before.
    public func measurements(for plan: CalibrationPlan) -> CalibrationMeasurements? {
        let (measured, total) = progress(for: plan)
        guard measured == total else { return nil }
        return CalibrationMeasurements(nonVolatile: nonVolatile ?? [], stmTraces: shortTermMemory.flatMap { $0 },
                                       periphery: periphery, peripheryColumnTiles: peripheryColumnTiles ?? [])
    }

    /// The parts as stored: JSON, with NaN and infinities (unread or saturated values) as words.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Parts as ``encoded()`` wrote them.
    ///
    /// - Throws: `DecodingError` when `data` is not such a document.
    public init(decoding data: Data) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(CalibrationParts.self, from: data)
    }
}
