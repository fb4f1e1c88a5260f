extension DACInfo {
    /// Checks that the row DACs can apply every input of an MVM with `voltage` encoding: each
    /// within ±``fullScaleVolts``. Host and board both check it after the electrical limits; an
    /// input beyond the full scale is refused, never clipped to it.
    ///
    /// - Returns: a `badArgument` fault naming the first input beyond the full scale (its index
    ///   and volts), or nil (also for `pulseWidth` encoding, whose inputs are widths).
    public func checkInputs(of m: MatrixVectorProduct) -> BoardFault? {
        guard m.encoding == .voltage, let k = m.inputs.firstIndex(where: { abs($0) > fullScaleVolts }) else { return nil }
        return BoardFault(code: .badArgument,
                          message: "MVM input \(k) (\(m.inputs[k]) V) is beyond the DAC's full scale of \(fullScaleVolts) V")
    }
}
