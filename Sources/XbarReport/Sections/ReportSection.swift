/// One part of a report: a heading, short HTML blocks (summaries, tables) and figures.
struct ReportSection: Sendable {
    var title: String
    var blocks: [String] = []
    var figures: [SVGFigure] = []

    init(title: String) { self.title = title }

    mutating func paragraph(_ text: String) { blocks.append("<p>\(SVGElement.escape(text))</p>") }

    /// A table of text cells; the first row is the header.
    mutating func table(_ rows: [[String]]) {
        guard let header = rows.first else { return }
        var html = "<table><thead><tr>" + header.map { "<th>\(SVGElement.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows.dropFirst() {
            html += "<tr>" + row.map { "<td>\(SVGElement.escape($0))</td>" }.joined() + "</tr>"
        }
        blocks.append(html + "</tbody></table>")
    }

    var html: String {
        "<section><h2>\(SVGElement.escape(title))</h2>" + blocks.joined() + "<div class=\"figures\">"
            + figures.map(\.markup).joined() + "</div></section>"
    }
}

/// Colours of series, told apart in print and by colour-blind readers (Okabe–Ito).
enum SeriesColor {
    static let all = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static func at(_ i: Int) -> String { all[i % all.count] }
}
