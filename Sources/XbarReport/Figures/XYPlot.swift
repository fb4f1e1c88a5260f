/// A plot on two linear axes with units: lines, points and bars, a legend, ticks and labels.
struct XYPlot: Sendable {
    struct Axis: Sendable {
        var label: String
        /// SI unit of the values (`S`, `s`, `V`), or empty for counts and ratios.
        var unit: String
        var includeZero = false
    }

    enum Mark: Sendable {
        case line([(Double, Double)], color: String, dashed: Bool)
        case points([(Double, Double)], color: String, radius: Double)
        /// Bars from `lower` to `upper` on x, height y.
        case bars([(lower: Double, upper: Double, count: Double)], color: String)
    }

    var title: String
    var x: Axis
    var y: Axis
    var marks: [Mark] = []
    var legend: [(String, String)] = []
    var width = 460.0
    var height = 300.0

    init(title: String, x: Axis, y: Axis) {
        self.title = title
        self.x = x
        self.y = y
    }

    mutating func line(_ points: [(Double, Double)], color: String, dashed: Bool = false, label: String? = nil) {
        marks.append(.line(points, color: color, dashed: dashed))
        if let label { legend.append((label, color)) }
    }

    mutating func points(_ points: [(Double, Double)], color: String, radius: Double = 2, label: String? = nil) {
        marks.append(.points(points, color: color, radius: radius))
        if let label { legend.append((label, color)) }
    }

    mutating func bars(_ bins: [(lower: Double, upper: Double, count: Double)], color: String, label: String? = nil) {
        marks.append(.bars(bins, color: color))
        if let label { legend.append((label, color)) }
    }

    var figure: SVGFigure {
        var xs: [Double] = [], ys: [Double] = []
        for mark in marks {
            switch mark {
            case .line(let p, _, _), .points(let p, _, _):
                xs += p.map(\.0); ys += p.map(\.1)
            case .bars(let b, _):
                xs += b.flatMap { [$0.lower, $0.upper] }; ys += b.map(\.count) + [0]
            }
        }
        let left = 64.0, right = 14.0, top = 14.0, bottom = 44.0
        let xScale = AxisScale(covering: xs, pixels: (left, width - right), includeZero: x.includeZero)
        let yScale = AxisScale(covering: ys, pixels: (height - bottom, top), includeZero: y.includeZero)
        var f = SVGFigure(width: width, height: height, title: title)
        f.add(.rect(x: left, y: top, width: width - left - right, height: height - top - bottom, fill: "#fbfbfb", stroke: "#bbb"))
        for t in xScale.ticks {
            let px = xScale.pixel(t)
            f.add(.line(x1: px, y1: top, x2: px, y2: height - bottom, stroke: "#e4e4e4"))
            f.add(.text(SIText.format(t, unit: ""), x: px, y: height - bottom + 14, anchor: .middle, size: 10))
        }
        for t in yScale.ticks {
            let py = yScale.pixel(t)
            f.add(.line(x1: left, y1: py, x2: width - right, y2: py, stroke: "#e4e4e4"))
            f.add(.text(SIText.format(t, unit: ""), x: left - 5, y: py + 3.5, anchor: .end, size: 10))
        }
        f.add(.text(Self.axisTitle(x), x: (left + width - right) / 2, y: height - 8, anchor: .middle))
        f.add(.text(Self.axisTitle(y), x: 13, y: (top + height - bottom) / 2, anchor: .middle, rotate: -90))
        for mark in marks {
            switch mark {
            case .line(let p, let color, let dashed):
                f.add(.polyline(p.map { (xScale.pixel($0.0), yScale.pixel($0.1)) }, stroke: color, dashed: dashed))
            case .points(let p, let color, let radius):
                f.add(p.map { .circle(x: xScale.pixel($0.0), y: yScale.pixel($0.1), radius: radius, fill: color, opacity: 0.6) })
            case .bars(let bins, let color):
                for b in bins where b.count > 0 {
                    let x0 = xScale.pixel(b.lower), x1 = xScale.pixel(b.upper)
                    let y0 = yScale.pixel(b.count), base = yScale.pixel(0)
                    f.add(.rect(x: x0, y: y0, width: x1 - x0, height: base - y0, fill: color, stroke: "#fff",
                                title: "\(SIText.format(b.lower, unit: x.unit)) to \(SIText.format(b.upper, unit: x.unit)): \(Int(b.count))"))
                }
            }
        }
        for (i, (label, color)) in legend.enumerated() {
            let ly = top + 12 + Double(i) * 14
            f.add(.rect(x: width - right - 128, y: ly - 8, width: 10, height: 10, fill: color))
            f.add(.text(label, x: width - right - 114, y: ly + 1, size: 10))
        }
        return f
    }

    /// `Conductance (µS)`: the unit's prefix follows the values' magnitude.
    static func axisTitle(_ axis: Axis) -> String {
        axis.unit.isEmpty ? axis.label : "\(axis.label) (\(axis.unit))"
    }
}

/// Equal-width bins over the values' range.
enum Histogram {
    static func bins(_ values: [Double], count: Int = 30) -> [(lower: Double, upper: Double, count: Double)] {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return [] }
        guard hi > lo else { return [(lo - 0.5 * max(abs(lo), 1e-12), hi + 0.5 * max(abs(hi), 1e-12), Double(finite.count))] }
        let width = (hi - lo) / Double(count)
        var counts = [Double](repeating: 0, count: count)
        for v in finite { counts[min(count - 1, Int((v - lo) / width))] += 1 }
        return counts.enumerated().map { (lo + Double($0.offset) * width, lo + Double($0.offset + 1) * width, $0.element) }
    }
}
