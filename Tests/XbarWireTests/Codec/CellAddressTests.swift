import Testing
import XbarWire

@Suite("A cell address is written ROW:COLUMN")
struct CellAddressTests {
    @Test("an address prints as ROW:COLUMN and reads back from the same text")
    func roundTrip() {
        let cell = CellIndex(row: 3, column: 65_535)
        #expect(cell.description == "3:65535")
        #expect(CellIndex(cell.description) == cell)
    }

    @Test("anything but two u16 numbers around one colon is not an address", arguments: ["3", "3:", ":5", "3:5:1", "3,5", "-1:2", "3:65536", " 3:5", "a:b"])
    func refused(text: String) {
        #expect(CellIndex(text) == nil)
    }
}
