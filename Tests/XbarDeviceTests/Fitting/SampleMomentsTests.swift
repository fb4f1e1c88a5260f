import Testing
import XbarDevice

@Suite("sample moments")
struct SampleMomentsTests {
    @Test("mean, unbiased variance, relative spread and the uncertainties of mean and median of a known sample")
    func knownSample() {
        let s = SampleMoments([1, 2, 3, 4])
        #expect(s.count == 4)
        #expect(s.mean == 2.5)
        // Sum of squared deviations 5 over n - 1 = 3.
        #expect(abs(s.variance - 5.0 / 3) < 1e-15)
        #expect(abs(s.relativeSpread - (5.0 / 3).squareRoot() / 2.5) < 1e-15)
        #expect(abs(s.meanUncertainty - (5.0 / 12).squareRoot()) < 1e-15)
        #expect(abs(s.medianUncertainty - (Double.pi / 2 * 5.0 / 12).squareRoot()) < 1e-15)
    }

    @Test("a sample of one has no spread and an unknown mean uncertainty; an empty one has mean 0")
    func tooSmall() {
        let one = SampleMoments([7])
        #expect(one.mean == 7 && one.variance == 0)
        #expect(one.meanUncertainty == .infinity)
        let none = SampleMoments([Double]())
        #expect(none.count == 0 && none.mean == 0 && none.relativeSpread == 0)
    }
}
