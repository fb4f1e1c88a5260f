import ArgumentParser
import XbarWire

/// A bias scheme as written on the command line: `grounded`, `half` or `third`, with
/// `half-voltage` and `third-voltage` as long spellings. Stored in a run's arguments by its
/// short name.
enum BiasSchemeArgument: String, ExpressibleByArgument, CaseIterable {
    case grounded, half, third

    init?(argument: String) {
        switch argument {
        case "grounded": self = .grounded
        case "half", "half-voltage": self = .half
        case "third", "third-voltage": self = .third
        default: return nil
        }
    }

    static var allValueStrings: [String] { ["grounded", "half", "half-voltage", "third", "third-voltage"] }

    init(_ scheme: BiasScheme) {
        switch scheme {
        case .grounded: self = .grounded
        case .halfVoltage: self = .half
        case .thirdVoltage: self = .third
        }
    }

    var scheme: BiasScheme {
        switch self {
        case .grounded: return .grounded
        case .half: return .halfVoltage
        case .third: return .thirdVoltage
        }
    }
}
