import Foundation
import XbarBoard
import XbarWire

/// A timed program run on a board: uploaded in chunks that fit the board's payload, started,
/// and fetched until its last result, every action timed by the board's own clock.
///
/// The host never sits inside the program's timing: on hardware it only polls for results
/// (sleeping between polls while the board plays), so the program takes its own duration in
/// real time and the results carry board timestamps.
public struct TimedProgram {
    /// Largest number of results asked for in one PLAY_FETCH.
    public static let resultsPerFetch: UInt16 = .max
    /// Bytes of a PLAY_LOAD payload before its actions, and of one action on the wire.
    static let loadHeaderBytes = 8
    static let actionBytes = 22

    public let actions: [PlayAction]
    public let programID: UInt16

    /// - Precondition: offsets do not decrease (the board refuses such a program).
    public init(actions: [PlayAction], programID: UInt16) {
        self.actions = actions
        self.programID = programID
    }

    /// What a played program returned.
    public struct Outcome: Sendable {
        public var started: PlayStarted
        /// Every read's result, in program order of the read actions.
        public var results: [PlayResult]
        /// Requests sent (loads, start, fetches) and bytes of actions uploaded.
        public var requests: Int
        public var uploadedBytes: Int
    }

    /// Uploads, starts and fetches the program.
    ///
    /// - Parameters:
    ///   - maxPayloadBytes: the board's largest payload (IDENTIFY).
    ///   - pollSeconds: host sleep between fetches that brought nothing new (a board playing in
    ///     real time); a virtual-time board has every result at once.
    /// - Throws: ``BoardError`` from any request; `.unexpectedReply` when the board reports a
    ///   result count other than the program's reads or an incomplete program makes no progress.
    public func play(on board: any Board, maxPayloadBytes: Int, pollSeconds: Double = 0.001) throws -> Outcome {
        let perChunk = max(1, (maxPayloadBytes - Self.loadHeaderBytes) / Self.actionBytes)
        let chunkCount = max(1, (actions.count + perChunk - 1) / perChunk)
        guard chunkCount <= Int(UInt16.max) else {
            throw BoardError.unexpectedReply(operation: "PLAY_LOAD", reply: "a program of \(actions.count) actions needs \(chunkCount) chunks, more than 65535")
        }
        var requests = 0
        for c in 0..<chunkCount {
            let part = Array(actions[(c * perChunk)..<min(actions.count, (c + 1) * perChunk)])
            try board.playLoad(PlayLoad(programID: programID, chunkIndex: UInt16(c), chunkCount: UInt16(chunkCount), actions: part))
            requests += 1
        }
        let started = try board.playStart(programID: programID)
        requests += 1
        let expected = actions.reduce(0) { n, a in if case .read = a.operation { return n + 1 } else { return n } }
        guard Int(started.resultCount) == expected else {
            throw BoardError.unexpectedReply(operation: "PLAY_START", reply: "the board announces \(started.resultCount) results for a program of \(expected) reads")
        }
        var results: [PlayResult] = []
        results.reserveCapacity(expected)
        while true {
            let data = try board.playFetch(PlayFetch(programID: programID, firstResult: UInt32(results.count),
                                                     maxResults: Self.resultsPerFetch))
            requests += 1
            results += data.results
            if data.complete || results.count >= expected { break }
            if data.results.isEmpty { Thread.sleep(forTimeInterval: pollSeconds) }
        }
        guard results.count == expected else {
            throw BoardError.unexpectedReply(operation: "PLAY_FETCH", reply: "the program ended with \(results.count) of \(expected) results")
        }
        return Outcome(started: started, results: results, requests: requests,
                       uploadedBytes: actions.count * Self.actionBytes + chunkCount * Self.loadHeaderBytes)
    }
}
