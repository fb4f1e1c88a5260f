import Testing
import XbarWire

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("the check value of \"123456789\" is 0xE3069283")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    // Test vectors from RFC 3720 (iSCSI), appendix B.4, which uses CRC-32C.
    @Test("32 zero bytes give 0x8A9136AA and 32 bytes of 0xFF give 0x62A8AB43")
    func rfc3720() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    @Test("no bytes give zero")
    func empty() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }
}
