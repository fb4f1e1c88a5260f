import ArgumentParser
import Foundation
import XbarSSM

extension InferCommand {
    /// Classifies a stream window by window as events arrive: a data set replayed at its own
    /// timestamps (sample `i` placed at `i` windows, so each window is one sample and the
    /// decision can be scored), or event lines on standard input.
    func runStream(source: String, model: SSMModel, dataset: EventDataset, samples: [EventSample],
                   classify: (EventSample) throws -> InferenceRun) throws {
        let longest = samples.map { $0.events.last?.timeSeconds ?? 0 }.max() ?? 0
        let window = windowSeconds ?? (source == "-" ? 0.3 : max(longest * 1.0001, 1e-3))
        var windowing = EventWindowing(windowSeconds: window)
        let clock = ContinuousClock()
        let start = clock.now
        func now() -> Double {
            let d = start.duration(to: clock.now).components
            return Double(d.seconds) + Double(d.attoseconds) * 1e-18
        }
        var latencies: [Double] = []
        var correct = 0, scored = 0
        var labels: [Int: Int] = [:]

        // Host time at which the open window's latest event arrived.
        var lastArrival = 0.0
        func decide(_ w: EventWindowing.Window) throws {
            let run = try classify(EventSample(events: w.events, label: labels[w.index] ?? -1))
            let decided = now()
            guard let predicted = run.predictions.first else { return }
            // The latency counts from when the window's last event arrived on the host.
            let latency = max(0, decided - lastArrival)
            latencies.append(latency)
            var line = String(format: "window %d [%.3f, %.3f) s: %d events -> %@, %.1f ms after its last event",
                              w.index, w.startSeconds, w.startSeconds + window, w.events.count,
                              model.classNames[predicted], 1e3 * latency)
            if let label = labels[w.index] {
                scored += 1
                if label == predicted { correct += 1 }
                line += " (label \(model.classNames[label]))"
            }
            print(line + " [\(run.backend)]")
            fflush(nil)  // A piped stream shows each decision as it is made.
        }

        if source == "-" {
            print("stream: event lines from standard input, windows of \(window) s")
            var n = 0
            while let text = readLine() {
                n += 1
                guard let e = try EventLine.parse(Substring(text), line: n, channelCount: model.inputCount) else { continue }
                let arrival = now()
                let closed: EventWindowing.Window?
                do {
                    closed = try windowing.add(channel: e.channel, polarity: e.polarity, atSeconds: e.seconds)
                } catch {
                    throw EventStreamError.badLine(line: n, error.description)
                }
                if let w = closed { try decide(w) }
                lastArrival = arrival
            }
            if let w = windowing.finish() { try decide(w) }
        } else {
            guard source == data else {
                throw ValidationError("--stream \(source): give - (standard input) or the --data file (\(data ?? "none")) to replay it")
            }
            print("stream: \(samples.count) samples of \(data ?? "the data set") replayed at their own timestamps, one per \(window) s window")
            for (i, s) in samples.enumerated() {
                labels[i] = s.label
                for e in s.events {
                    let t = Double(i) * window + e.timeSeconds
                    let wait = t - now()
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                    let arrival = now()
                    if let w = try windowing.add(channel: e.channel, polarity: e.polarity, atSeconds: t) { try decide(w) }
                    lastArrival = arrival
                }
                // The window ends on the clock, not on the next sample's first event.
                let end = Double(i + 1) * window
                let wait = end - now()
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                if let w = windowing.close(before: end) { try decide(w) }
            }
            if let w = windowing.finish() { try decide(w) }
        }
        let sorted = latencies.sorted()
        if !sorted.isEmpty {
            let p = { (q: Double) in sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.down)))] }
            print(String(format: "stream: %d decisions, latency after the last event median %.1f ms, 95th percentile %.1f ms, largest %.1f ms",
                         sorted.count, 1e3 * p(0.5), 1e3 * p(0.95), 1e3 * sorted.last!))
        }
        if scored > 0 {
            print(String(format: "stream accuracy: %.2f %% (%d of %d windows)", 100 * Double(correct) / Double(scored), correct, scored))
        }
    }
}
