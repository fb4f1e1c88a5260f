/// SVG markup built from values: every attribute and text is escaped, numbers are written with
/// a fixed precision so that a report is byte-for-byte reproducible.
struct SVGElement: Sendable {
    let markup: String

    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil,
                     title: String? = nil) -> SVGElement {
        let strokeAttribute = stroke.map { " stroke=\"\(escape($0))\" stroke-width=\"0.5\"" } ?? ""
        let body = title.map { "<title>\(escape($0))</title>" } ?? ""
        return SVGElement(markup: "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" "
                          + "fill=\"\(escape(fill))\"\(strokeAttribute)>\(body)</rect>")
    }

    static func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
                     dashed: Bool = false) -> SVGElement {
        SVGElement(markup: "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(escape(stroke))\" "
                   + "stroke-width=\"\(n(width))\"\(dashed ? " stroke-dasharray=\"4 3\"" : "")/>")
    }

    static func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dashed: Bool = false) -> SVGElement {
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        return SVGElement(markup: "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(escape(stroke))\" stroke-width=\"\(n(width))\""
                          + "\(dashed ? " stroke-dasharray=\"5 3\"" : "")/>")
    }

    static func circle(x: Double, y: Double, radius: Double, fill: String, opacity: Double = 1) -> SVGElement {
        SVGElement(markup: "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(escape(fill))\""
                   + (opacity < 1 ? " fill-opacity=\"\(n(opacity))\"" : "") + "/>")
    }

    enum Anchor: String { case start, middle, end }

    static func text(_ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 11,
                     rotate: Double? = nil, weight: String? = nil, fill: String = "#222") -> SVGElement {
        let transform = rotate.map { " transform=\"rotate(\(n($0)) \(n(x)) \(n(y)))\"" } ?? ""
        let bold = weight.map { " font-weight=\"\($0)\"" } ?? ""
        return SVGElement(markup: "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor.rawValue)\" font-size=\"\(n(size))\" "
                          + "fill=\"\(escape(fill))\"\(bold)\(transform)>\(escape(content))</text>")
    }

    /// Markup escaped for an attribute value or element text.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    private static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let rounded = (v * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}

/// One figure: an `<svg>` of a fixed size with its elements, and a caption.
struct SVGFigure: Sendable {
    var width: Double
    var height: Double
    var title: String
    var elements: [SVGElement] = []

    init(width: Double, height: Double, title: String) {
        self.width = width
        self.height = height
        self.title = title
    }

    mutating func add(_ element: SVGElement) { elements.append(element) }
    mutating func add(_ list: [SVGElement]) { elements += list }

    var markup: String {
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(SVGElement.escape(title))\">"
            + elements.map(\.markup).joined() + "</svg><figcaption>\(SVGElement.escape(title))</figcaption></figure>"
    }
}
