/// How unselected rows and columns are biased while a pulse is applied.
///
/// Under `.halfVoltage` half-selected cells (same row or column as a pulsed cell) see V/2;
/// under `.thirdVoltage` they see V/3 and unselected cells V/3 of opposite sign;
/// under `.grounded` (1T1R arrays, whose access transistors isolate the cell) they see nothing.
public enum BiasScheme: UInt8, Hashable, Sendable, Codable, CaseIterable {
    case grounded = 0
    case halfVoltage = 1
    case thirdVoltage = 2

    /// The fraction of the pulse amplitude a half-selected cell sees.
    public var halfSelectFraction: Double {
        switch self {
        case .grounded: return 0
        case .halfVoltage: return 0.5
        case .thirdVoltage: return 1.0 / 3.0
        }
    }
}
