import Testing
@testable import XbarSSM

@Suite("S4D input binning of far-off events")
struct BinnedEventTimeTests {
    @Test("an event at 1e300 s falls after the last step and is dropped; one in step 0 is counted")
    func farEventDropped() throws {
        let model = try Examples.model("event_digits_s4d_ternary")
        let dt = try #require(model.timeStepSeconds)
        let sample = EventSample(events: [Event(timeSeconds: dt / 2, channel: 0, polarity: 1),
                                          Event(timeSeconds: 1e300, channel: 0, polarity: 1)], label: 0)
        let u = SSMForward(model: model).binned(sample)
        #expect(u.count == model.stepCount)
        #expect(u.flatMap { $0 }.map(abs).reduce(0, +) == 1, "only the event in step 0 is counted")
        #expect(u[0].map(abs).reduce(0, +) == 1)
    }
}
