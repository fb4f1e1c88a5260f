import XbarDevice
import XbarWire

extension ArrayPeripheryParameters {
    /// A half-selected cell's read current over its current at the full read voltage under
    /// `scheme` (passive tiles): the half-select fraction at V/2, its power law at V/3, 0 when
    /// unselected lines are grounded.
    public func sneakRatio(under scheme: BiasScheme) -> Double {
        switch scheme {
        case .halfVoltage: return halfSelectCurrentFraction
        case .thirdVoltage: return halfSelectRatio(atFraction: 1.0 / 3)
        case .grounded: return 0
        }
    }
}
