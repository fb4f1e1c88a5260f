import XbarDevice
import XbarWire

/// One sense range of the simulated board, as its converters see it: the READ and MVM
/// quantisers at the range's full scale and the range's own input-referred noise.
struct SimulatedSenseRange {
    let read: UnipolarQuantizer
    let mvm: BipolarQuantizer
    /// Standard deviation of one conversion's added current, amperes.
    let noiseAmperes: Double

    init(_ range: SenseRange, bits: Int) {
        read = UnipolarQuantizer(bits: bits, fullScale: Double(range.fullScaleAmperes))
        mvm = BipolarQuantizer(bits: bits, fullScale: Double(range.fullScaleAmperes))
        noiseAmperes = Double(range.noiseAmperes)
    }
}

extension SimulatedBoard {
    /// The range a request chose, or nil for none; a refusal naming the ranges the board has
    /// when it chose one the board lacks.
    func senseRange(_ index: UInt8?, _ what: String) throws -> SimulatedSenseRange? {
        guard let index else { return nil }
        guard Int(index) < senseRanges.count else {
            let known = senseRanges.isEmpty ? "this board has no sense ranges"
                : "this board has ranges 0 to \(senseRanges.count - 1): "
                    + instrument.senseRanges.map { "\($0.fullScaleAmperes) A" }.joined(separator: ", ")
            throw badArgument("\(what) asks for sense range \(index); \(known)")
        }
        return senseRanges[Int(index)]
    }

    /// One READ conversion of `current` in `range`: its noise added, then the converter's
    /// non-linearity (when the board has one) and rounding at the range's full scale.
    func convertRead(_ current: Double, in range: SimulatedSenseRange, nonlinear: Bool) -> (value: Double, saturated: Bool) {
        let noisy = current + range.noiseAmperes * readNoise.nextNormal()
        let result = nonlinear ? range.read.convert(noisy, nonlinearity: periphery.readNonlinearity) : range.read.convert(noisy)
        if result.saturated { adcSaturations += 1 }
        return result
    }
}
