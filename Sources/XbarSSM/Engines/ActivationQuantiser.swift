/// The models' symmetric 8-bit activation quantiser, `q(v, r) = round(clip(v / r, -1, 1) * 127) * r / 127`,
/// rounding half to even as NumPy does. Identity for float models (`range == nil`).
public enum ActivationQuantiser {
    public static let levels = 127.0

    @inlinable
    public static func quantise(_ v: Double, range r: Double?) -> Double {
        guard let r else { return v }
        return (min(max(v / r, -1), 1) * levels).rounded(.toNearestOrEven) * (r / levels)
    }

    @inlinable
    public static func quantise(_ v: [Double], range r: Double?) -> [Double] {
        guard r != nil else { return v }
        return v.map { quantise($0, range: r) }
    }
}

/// The tanh approximation of GELU, written as the reference writes it.
@inlinable
public func geluTanh(_ x: Double) -> Double {
    0.5 * x * (1.0 + tanh((2.0 / Double.pi).squareRoot() * (x + 0.044715 * pow(x, 3))))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
