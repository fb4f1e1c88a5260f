/// One event as a line of text on a stream: `SECONDS CHANNEL [POLARITY]`, separated by spaces,
/// tabs or commas; `#` starts a comment; polarity is +1 (default) or -1.
public enum EventLine {
    /// The event on `text`, or nil for a blank or comment line.
    ///
    /// - Throws: ``EventStreamError/badLine`` naming the line and the field.
    public static func parse(_ text: Substring, line: Int, channelCount: Int) throws(EventStreamError) -> (seconds: Double, channel: Int, polarity: Int)? {
        let body = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
        if fields.isEmpty { return nil }
        guard fields.count == 2 || fields.count == 3 else {
            throw .badLine(line: line, "expected SECONDS CHANNEL [POLARITY], got \(fields.count) fields")
        }
        guard let seconds = Double(fields[0]), seconds.isFinite, seconds >= 0 else {
            throw .badLine(line: line, "time \"\(fields[0])\" is not a non-negative number of seconds")
        }
        guard let channel = Int(fields[1]), channel >= 0, channel < channelCount else {
            throw .badLine(line: line, "channel \"\(fields[1])\" is not one of the model's channels 0...\(channelCount - 1)")
        }
        var polarity = 1
        if fields.count == 3 {
            guard let p = Int(fields[2]), p == 1 || p == -1 else {
                throw .badLine(line: line, "polarity \"\(fields[2])\" is not 1 or -1")
            }
            polarity = p
        }
        return (seconds, channel, polarity)
    }
}
