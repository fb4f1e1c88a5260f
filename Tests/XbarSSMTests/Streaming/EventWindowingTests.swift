import Testing
@testable import XbarSSM

@Suite("event stream windows")
struct EventWindowingTests {
    @Test("events fall into windows of stream time, each closed by a later event, by the clock or by the end, with times from the window's start")
    func windows() throws {
        var w = EventWindowing(windowSeconds: 0.25)
        #expect(try w.add(channel: 1, polarity: 1, atSeconds: 0.01) == nil)
        #expect(try w.add(channel: 2, polarity: -1, atSeconds: 0.2) == nil)
        let closedByEvent = try w.add(channel: 3, polarity: 1, atSeconds: 0.6)
        let first = try #require(closedByEvent)
        #expect(first.index == 0 && first.events.count == 2 && first.lastEventSeconds == 0.2)
        #expect(first.events.map(\.channel) == [1, 2] && first.events[1].polarity == -1)
        #expect(w.close(before: 0.7) == nil)
        let closedByClock = w.close(before: 0.75)
        let second = try #require(closedByClock)
        // Window 1 ([0.25, 0.5)) had no events and produced nothing; the event at 0.6 s is in window 2.
        #expect(second.index == 2 && second.startSeconds == 0.5)
        #expect(abs(second.events[0].timeSeconds - 0.1) < 1e-12)
        #expect(w.finish() == nil)
    }

    @Test("a stream out of time order, a negative or a non-finite time is refused, naming the times")
    func badTimes() throws {
        var w = EventWindowing(windowSeconds: 0.1)
        _ = try w.add(channel: 0, polarity: 1, atSeconds: 0.05)
        #expect(throws: EventStreamError.badTime("event time 0.04 s is earlier than the previous event's 0.05 s; a stream is in time order")) {
            try w.add(channel: 0, polarity: 1, atSeconds: 0.04)
        }
        #expect(throws: EventStreamError.self) { try w.add(channel: 0, polarity: 1, atSeconds: -1) }
        #expect(throws: EventStreamError.self) { try w.add(channel: 0, polarity: 1, atSeconds: .nan) }
    }

    @Test("event lines take seconds, channel and an optional polarity; comments and blanks are skipped; bad fields are named with their line")
    func lines() throws {
        #expect(try EventLine.parse("0.5 3 -1", line: 1, channelCount: 8)! == (0.5, 3, -1))
        #expect(try EventLine.parse("0.5,3", line: 1, channelCount: 8)! == (0.5, 3, 1))
        #expect(try EventLine.parse("  # nothing", line: 1, channelCount: 8) == nil)
        #expect(throws: EventStreamError.badLine(line: 4, "channel \"8\" is not one of the model's channels 0...7")) {
            try EventLine.parse("0.1 8", line: 4, channelCount: 8)
        }
        #expect(throws: EventStreamError.badLine(line: 2, "polarity \"0\" is not 1 or -1")) {
            try EventLine.parse("0.1 2 0", line: 2, channelCount: 8)
        }
        #expect(throws: EventStreamError.self) { try EventLine.parse("abc 2", line: 1, channelCount: 8) }
    }

    @Test("an event at 1e300 s, beyond any countable window, is refused as a bad time and the stream goes on")
    func timeBeyondCountableWindows() throws {
        var w = EventWindowing(windowSeconds: 0.3)
        #expect(try w.add(channel: 0, polarity: 1, atSeconds: 0.1) == nil)
        #expect {
            _ = try w.add(channel: 0, polarity: 1, atSeconds: 1e300)
        } throws: { error in
            "\(error)".contains("event time 1e+300 s is") && "\(error)".contains("beyond what can be counted")
        }
        // The refused event did not move the stream's clock: a later, sane event still fits.
        #expect(try w.add(channel: 1, polarity: 1, atSeconds: 0.2) == nil)
        #expect(w.finish()?.events.count == 2)
    }
}
