/// An S4D block whose decay `A` and input matrix `B` sit on one tile over the same column pairs,
/// in adjacent row slabs: its state update `a * x + B h` is then ONE product on the array, the
/// rows driven with `h` and `x` together (in the order of their rows) and each column pair
/// summing both, so that no partial sum is added on the host.
///
/// The two matrices then share one scale per output (siemens per unit weight; see
/// ``WeightMap``), the larger of the two they would take apart: a column pair's current is only
/// the sum `B h + a x` when both are mapped with the same one.
///
/// The shipped S4Ds stack their second block this way (tile 2: `B` on rows 0-31, `A` on rows
/// 32-63); their first block's `B` takes a whole tile (64 inputs), so its decay is a product
/// of its own, added to `B h` on the host.
public struct StackedRecurrence: Hashable, Sendable {
    public var layer: Int
    /// Where `B` sits.
    public var input: TilePlacement
    /// Where `A` sits.
    public var decay: TilePlacement

    /// The name the stacked product goes by in the backend and its statistics.
    public var matrix: String { "layers.\(layer).B+A" }

    /// Whether `h` drives the lower-numbered rows.
    var inputFirst: Bool { input.rowOffset < decay.rowOffset }

    /// Both slabs as one placement: `rows` of both, its inputs `[h; x]` or `[x; h]` as the rows go.
    public var combined: TilePlacement {
        TilePlacement(matrix: matrix, tile: input.tile, rowOffset: min(input.rowOffset, decay.rowOffset),
                      rows: input.rows + decay.rows, inputOffset: 0, colPairOffset: input.colPairOffset, outputs: input.outputs)
    }

    /// The combined placement's input vector for inputs `h` and states `x`.
    public func combinedInput(h: [Double], x: [Double]) -> [Double] {
        inputFirst ? h + x : x + h
    }

    /// The inputs `h` and states `x` a combined input vector carries.
    public func split(_ v: [Double]) -> (h: [Double], x: [Double]) {
        let h = inputFirst ? v.prefix(input.rows) : v.suffix(input.rows)
        let x = inputFirst ? v.suffix(decay.rows) : v.prefix(decay.rows)
        return (Array(h), Array(x))
    }

    /// The stacked block `layer` of `model`, when its placements allow one: `A` and `B` each one
    /// whole slab, on one tile, over the same column pairs, in adjacent rows.
    public static func find(in model: SSMModel, layer: Int) -> StackedRecurrence? {
        guard model.architecture == .s4d, layer >= 0, layer < model.layers.count else { return nil }
        let a = model.placements.filter { $0.matrix == "layers.\(layer).A" }
        let b = model.placements.filter { $0.matrix == "layers.\(layer).B" }
        guard a.count == 1, b.count == 1, let decay = a.first, let input = b.first else { return nil }
        let B = model.layers[layer].B
        guard decay.tile == input.tile, decay.colPairOffset == input.colPairOffset, decay.outputs == input.outputs,
              input.inputOffset == 0, input.rows == B.columns, decay.inputOffset == 0, decay.rows == model.stateCount,
              input.rowOffset + input.rows == decay.rowOffset || decay.rowOffset + decay.rows == input.rowOffset
        else { return nil }
        return StackedRecurrence(layer: layer, input: input, decay: decay)
    }

    /// Every stacked block of `model`.
    public static func all(in model: SSMModel) -> [StackedRecurrence] {
        (0..<model.layers.count).compactMap { find(in: model, layer: $0) }
    }
}
