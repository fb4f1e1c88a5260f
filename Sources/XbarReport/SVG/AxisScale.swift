import Foundation

/// A linear map from data values to pixels, with tick values at round numbers (1, 2, 5 × 10^k).
struct AxisScale: Sendable {
    let lower: Double
    let upper: Double
    let pixelLower: Double
    let pixelUpper: Double
    let ticks: [Double]

    /// Spans `values` (padded to round tick values); a degenerate span is widened around its value.
    init(covering values: [Double], pixels: (Double, Double), tickCount: Int = 5, includeZero: Bool = false) {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
        if hi - lo <= abs(hi) * 1e-12 || hi == lo {
            let pad = hi == 0 ? 1 : abs(hi) * 0.1
            lo -= pad
            hi += pad
        }
        let step = Self.roundStep((hi - lo) / Double(max(1, tickCount)))
        lower = (lo / step).rounded(.down) * step
        upper = (hi / step).rounded(.up) * step
        var t: [Double] = []
        var v = lower
        while v <= upper + step * 1e-9 {
            t.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        ticks = t
        pixelLower = pixels.0
        pixelUpper = pixels.1
    }

    func pixel(_ v: Double) -> Double {
        pixelLower + (v - lower) / (upper - lower) * (pixelUpper - pixelLower)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func roundStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        for m in [1.0, 2, 5, 10] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }
}

/// Values with an SI prefix and their unit, as an axis or a table shows them: `12.5 µS`, `3 ms`.
enum SIText {
    static func format(_ value: Double, unit: String, digits: Int = 3) -> String {
        guard value.isFinite else { return "\(value) \(unit)" }
        if value == 0 { return "0 \(unit)" }
        let prefixes: [(Double, String)] = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p")]
        let magnitude = abs(value)
        let (scale, prefix) = prefixes.first { magnitude >= $0.0 * 0.9995 } ?? (1e-12, "p")
        let scaled = value / scale
        var text = String(format: "%.\(digits)g", scaled)
        if text.contains("e") { text = String(format: "%g", scaled) }
        return unit.isEmpty && prefix.isEmpty ? text : "\(text) \(prefix)\(unit)"
    }
}
