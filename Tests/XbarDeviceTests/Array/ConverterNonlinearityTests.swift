import Testing
import XbarDevice

@Suite("Converter non-linearity")
struct ConverterNonlinearityTests {
    @Test("a 1 LSB bow moves a mid-scale input up one code and leaves the ends of the range alone")
    func bow() {
        let adc = UnipolarQuantizer(bits: 8, fullScale: 255)   // one ampere per code
        let bow = ConverterNonlinearity(bowLSB: 1, codeLSB: [])
        #expect(adc.convert(127.2).value == 127)
        #expect(adc.convert(127.2, nonlinearity: bow).value == 128)
        #expect(adc.convert(2.2, nonlinearity: bow).value == 2)
        #expect(adc.convert(252.8, nonlinearity: bow).value == 253)
        let bipolar = BipolarQuantizer(bits: 8, fullScale: 127)
        // Mid-scale of a bipolar converter is zero input; its ends are the full scales.
        #expect(bipolar.convert(0.2, nonlinearity: bow).value == 1)
        #expect(bipolar.convert(-125.2, nonlinearity: bow).value == -125)
    }

    @Test("per-code deviations drawn with a 0.5 LSB spread have that spread within 10 % over 255 codes")
    func codeSpread() {
        var g = Xoshiro256StarStar(seed: 5)
        let c = ConverterNonlinearity.draw(codes: 255, bow: DistributedParameter(1, spread: 0.3), codeSpreadLSB: 0.5, using: &g)
        let rms = (c.codeLSB.map { $0 * $0 }.reduce(0, +) / 255).squareRoot()
        #expect(abs(rms - 0.5) < 0.05)
        #expect(c.bowLSB > 0 && c.bowLSB < 2.5)
    }
}
