import Testing
import XbarBoard

@Suite("board addresses")
struct BoardAddressTests {
    @Test("twin:RUN names a programming run; a missing or bad run id is refused saying what is expected")
    func twinAddress() throws {
        #expect(try BoardAddress(parsing: "twin:12") == .twin(programmingRun: 12))
        #expect(BoardAddress.twin(programmingRun: 12).description == "twin:12")
        for bad in ["twin:", "twin:x", "twin:0", "twin:-3"] {
            let error = #expect(throws: BoardAddressError.self) { try BoardAddress(parsing: bad) }
            #expect(error?.description.contains("twin: needs the id of a programming run") == true, "\(bad): \(String(describing: error))")
        }
        let unknown = #expect(throws: BoardAddressError.self) { try BoardAddress(parsing: "board7") }
        #expect(unknown?.description.contains("twin:RUN") == true)
    }

    @Test("twin:RUN without the run store that holds the run is refused, naming the run")
    func twinNeedsAStore() throws {
        let error = #expect(throws: BoardAddressError.self) {
            _ = try BoardConnector.open(.twin(programmingRun: 4), instrument: TestInstrument.usb4x64())
        }
        #expect(error?.description.contains("programming run 4") == true, "\(String(describing: error))")
    }
}
