import CVectorLoops

/// Which compiled copy of the digital reference's vector loops runs (``EventSSMKernel``,
/// ``DecayFactors``, ``geluTanh(_:on:)-(Double,_)``): the baseline x86-64 instruction set, two doubles
/// per instruction, which every x86-64 runs, or AVX2, four per instruction.
///
/// The loops are written once in C (`Sources/CVectorLoops`) and compiled for each set; both
/// copies do the same operations per lane and neither fuses a multiply with an add, so the
/// choice changes the speed and never a bit of a result. ``fastest`` is what runs unless a caller
/// asks for another, to compare the two or to run the copy every machine has.
public enum VectorInstructionSet: String, Sendable, CaseIterable {
    case baseline
    case avx2

    /// The widest set this CPU runs, asked of the CPU once per process.
    public static let fastest: VectorInstructionSet = cVectorLoopsHaveAVX2() != 0 ? .avx2 : .baseline

    /// Whether this CPU (and its operating system) runs the set.
    public var isSupported: Bool { self == .baseline || Self.fastest == .avx2 }

    /// The set's loops. Calling the AVX2 loops on a CPU without AVX2 stops the process with an
    /// illegal instruction, hence the check.
    var loops: CVectorLoops {
        precondition(isSupported, "this CPU does not run \(rawValue) instructions")
        switch self {
        case .baseline: return cVectorLoopsBaseline
        case .avx2: return cVectorLoopsAVX2
        }
    }
}
