/// Where the arithmetic of a chip-in-loop inference happened: multiply-accumulates done by the
/// crossbar, and every kind of arithmetic the host did inside the inference, so that no host
/// number passes for the chip's.
///
/// Counts are operations (a multiply-accumulate, or one addition or multiplication); the
/// embedding lookup, nonlinearities, residuals, pooling and the readout bias are the model's
/// digital parts and are not counted here.
public struct HostArithmetic: Sendable, Hashable {
    /// Multiply-accumulates of products on the weight tiles (signal and dither rows driven).
    public var arrayMultiplyAccumulates = 0
    /// State decays `x <- a x + v` computed on the host, one per state and event (zero when the
    /// states live on STM nodes, whose decay is physics).
    public var stateDecays = 0
    /// State updates `a x + B h` an S4D block's partial products are added into on the host,
    /// per state and step (its decay on the chip, but `A` and `B` not stacked on one tile),
    /// and slabs of one matrix added on the host, per output beyond the first slab.
    public var partialSums = 0
    /// Column readout corrections (offset, gain, and the converter's code deviation where
    /// measured), per converted column of every copy.
    public var readoutCorrections = 0
    /// Turning column-pair currents into outputs: the pair's difference and the copies' sum per
    /// output and copy, then the scale to weight units and the addition into the product.
    public var outputScaling = 0
    /// Host corrections of weight pairs that missed their targets, per pair and vector.
    public var pairCorrections = 0
    /// Planning STM pulses from the calibrated law (prediction and inversion), per pulse.
    public var pulsePlanning = 0
    /// Turning STM node reads into states (baseline subtraction and scaling).
    public var stateDecoding = 0
    /// Choosing each vector's sense range from the planned column currents, per driven row.
    public var rangePlanning = 0
    /// Deciding close calls again (see ``CloseCallRepeats``): each sample's top-two margin,
    /// the sums and means of a repeated sample's logits, and the margins' spread.
    public var closeCallDecisions = 0

    public init() {}

    /// Everything the host did, operations.
    public var hostOperations: Int {
        stateDecays + partialSums + readoutCorrections + outputScaling + pairCorrections + pulsePlanning + stateDecoding + rangePlanning + closeCallDecisions
    }

    /// The model's multiply-accumulates the host did: state decays, partial sums of products
    /// and corrections of missed pairs (the rest of ``hostOperations`` turns the array's
    /// currents into numbers or plans its inputs: the converters' side of a product).
    public var hostMultiplyAccumulates: Int { stateDecays + partialSums + pairCorrections }

    /// The share of the model's multiply-accumulates done on the array, 0...1.
    public var arrayShareOfMultiplyAccumulates: Double {
        let all = Double(arrayMultiplyAccumulates + hostMultiplyAccumulates)
        return all > 0 ? Double(arrayMultiplyAccumulates) / all : 0
    }

    /// The host's share of all operations, 0...1.
    public var hostShare: Double {
        let all = Double(hostOperations + arrayMultiplyAccumulates)
        return all > 0 ? Double(hostOperations) / all : 0
    }
}
