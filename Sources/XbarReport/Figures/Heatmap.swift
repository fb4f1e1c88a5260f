/// A matrix as coloured cells with a colour bar: conductance maps, errors, confusion matrices.
struct Heatmap: Sendable {
    enum Palette: Sendable {
        /// Dark to light for magnitudes.
        case sequential
        /// Blue through white to red, centred on zero, for signed errors.
        case diverging
    }

    var title: String
    var rows: Int
    var columns: Int
    var values: [Double]
    var unit: String
    var palette: Palette = .sequential
    /// Write each value in its cell (small matrices only).
    var annotate = false
    var rowLabel = "row"
    var columnLabel = "column"

    var figure: SVGFigure {
        let cell = annotate ? 30.0 : max(2, min(5, 320 / Double(max(rows, columns))))
        let left = 40.0, top = 12.0
        let width = left + Double(columns) * cell + 120, height = top + Double(rows) * cell + 40
        var f = SVGFigure(width: width, height: max(height, 180), title: title)
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if palette == .diverging {
            // A few stuck cells would wash out the rest: the scale spans the 98th percentile of
            // magnitudes, and the cells beyond it take the end colours.
            let magnitudes = finite.map(abs).sorted()
            let m = max(magnitudes.isEmpty ? 0 : magnitudes[min(magnitudes.count - 1, Int(0.98 * Double(magnitudes.count)))], 1e-30)
            (lo, hi) = (-m, m)
        }
        if hi <= lo { hi = lo + max(abs(lo), 1e-30) }
        for r in 0..<rows {
            for c in 0..<columns {
                let v = values[r * columns + c]
                f.add(.rect(x: left + Double(c) * cell, y: top + Double(r) * cell, width: cell, height: cell,
                            fill: color(v, lo, hi),
                            title: annotate || rows * columns > 1024 ? nil : "\(r):\(c) \(SIText.format(v, unit: unit))"))
                if annotate {
                    f.add(.text(SIText.format(v, unit: ""), x: left + (Double(c) + 0.5) * cell, y: top + (Double(r) + 0.65) * cell,
                                anchor: .middle, size: 10, fill: (v - lo) / (hi - lo) > 0.6 ? "#222" : "#fff"))
                }
            }
        }
        let gridBottom = top + Double(rows) * cell
        f.add(.text(columnLabel, x: left + Double(columns) * cell / 2, y: gridBottom + 16, anchor: .middle, size: 10))
        f.add(.text(rowLabel, x: 14, y: top + Double(rows) * cell / 2, anchor: .middle, size: 10, rotate: -90))
        // Colour bar with its range and unit.
        let barX = left + Double(columns) * cell + 16, barHeight = max(120, Double(rows) * cell)
        for k in 0..<40 {
            let v = hi - (hi - lo) * (Double(k) + 0.5) / 40
            f.add(.rect(x: barX, y: top + barHeight * Double(k) / 40, width: 12, height: barHeight / 40 + 0.5, fill: color(v, lo, hi)))
        }
        f.add(.text(SIText.format(hi, unit: unit), x: barX + 16, y: top + 8, size: 10))
        f.add(.text(SIText.format((lo + hi) / 2, unit: unit), x: barX + 16, y: top + barHeight / 2 + 4, size: 10))
        f.add(.text(SIText.format(lo, unit: unit), x: barX + 16, y: top + barHeight, size: 10))
        return f
    }

    private func color(_ v: Double, _ lo: Double, _ hi: Double) -> String {
        guard v.isFinite else { return "#999" }
        let t = min(1, max(0, (v - lo) / (hi - lo)))
        switch palette {
        case .sequential:
            // Dark blue to yellow through teal, legible in grey.
            let stops: [(Double, Double, Double)] = [(0.27, 0.0, 0.33), (0.13, 0.57, 0.55), (0.99, 0.91, 0.14)]
            let s = t < 0.5 ? (stops[0], stops[1], t * 2) : (stops[1], stops[2], (t - 0.5) * 2)
            return rgb(s.0.0 + (s.1.0 - s.0.0) * s.2, s.0.1 + (s.1.1 - s.0.1) * s.2, s.0.2 + (s.1.2 - s.0.2) * s.2)
        case .diverging:
            if t < 0.5 { let u = t * 2; return rgb(0.13 + 0.87 * u, 0.4 + 0.6 * u, 0.8 + 0.2 * u) }
            let u = (t - 0.5) * 2
            return rgb(1, 1 - 0.75 * u, 1 - 0.8 * u)
        }
    }

    private func rgb(_ r: Double, _ g: Double, _ b: Double) -> String {
        func h(_ x: Double) -> String {
            let v = Int((min(1, max(0, x)) * 255).rounded())
            return String(v, radix: 16).count == 1 ? "0" + String(v, radix: 16) : String(v, radix: 16)
        }
        return "#" + h(r) + h(g) + h(b)
    }
}
