import Testing
@testable import XbarDevice

@Suite("Grouping time constants")
struct TimeConstantGroupsTests {
    @Test("three decades-apart families of time constants fall into three groups, fastest first")
    func threeFamilies() {
        let taus = [0.011, 0.0105, 0.0098, 0.05, 0.052, 0.049, 0.21, 0.19, 0.2, 0.0102]
        let groups = TimeConstantGroup.cluster(taus, count: 3)
        #expect(groups.count == 3)
        #expect(groups.map(\.members.count) == [4, 3, 3])
        #expect(abs(groups[0].centerSeconds - 0.0104) < 0.0005)
        #expect(abs(groups[2].centerSeconds - 0.2) < 0.01)
        #expect(Set(groups.flatMap(\.members)) == Set(taus.indices))
    }

    @Test("asking for more groups than nodes gives one group per node")
    func moreGroupsThanNodes() {
        #expect(TimeConstantGroup.cluster([0.01, 0.02], count: 5).count == 2)
    }
}
