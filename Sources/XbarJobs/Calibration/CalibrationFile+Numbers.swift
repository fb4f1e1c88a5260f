import Foundation

extension CalibrationFile {
    /// The key path and value of the first number in the file that is not finite, or nil.
    ///
    /// YAML spells NaN and infinity (`.nan`, `.inf`) and a decoder accepts them; a device model
    /// with one would turn every simulated current it touches into NaN, which no converter can
    /// quantise. Walking every stored number catches them whichever parameter they sit in.
    func firstNonFiniteNumber() -> (key: String, value: Double)? {
        Self.firstNonFinite(in: self, path: "")
    }

    private static func firstNonFinite(in value: Any, path: String) -> (key: String, value: Double)? {
        switch value {
        // An uncertainty may be infinite: a fit whose covariance is singular did not determine
        // the value. Nothing else may be, and nothing may be NaN.
        case let d as Double: return d.isFinite || (d == .infinity && path.lowercased().contains("uncertaint")) ? nil : (path, d)
        case let f as Float: return f.isFinite ? nil : (path, Double(f))
        default: break
        }
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            return mirror.children.first.flatMap { firstNonFinite(in: $0.value, path: path) }
        }
        for (index, child) in mirror.children.enumerated() {
            let name: String
            switch mirror.displayStyle {
            case .collection, .set: name = "\(path)[\(index)]"
            case .dictionary:
                let pair = Mirror(reflecting: child.value).children.map(\.value)
                guard pair.count == 2 else { continue }
                if let found = firstNonFinite(in: pair[1], path: path.isEmpty ? "\(pair[0])" : "\(path).\(pair[0])") { return found }
                continue
            default: name = path.isEmpty ? (child.label ?? "\(index)") : "\(path).\(child.label ?? "\(index)")"
            }
            if let found = firstNonFinite(in: child.value, path: name) { return found }
        }
        return nil
    }
}
