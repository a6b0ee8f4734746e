import Testing
@testable import TensorIO

@Suite("synthetic tensors")
struct SyntheticTests {
    func moments(_ v: [Float]) -> (mean: Double, variance: Double) {
        let d = v.map(Double.init)
        let m = d.reduce(0, +) / Double(d.count)
        return (m, d.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(d.count))
    }

    @Test func sameSeedSameTensor() {
        let a = SyntheticTensor(distribution: .normal, rows: 16, cols: 32, outlierColumns: 2, seed: 5).make()
        let b = SyntheticTensor(distribution: .normal, rows: 16, cols: 32, outlierColumns: 2, seed: 5).make()
        let c = SyntheticTensor(distribution: .normal, rows: 16, cols: 32, outlierColumns: 2, seed: 6).make()
        #expect(a.values.map(\.bitPattern) == b.values.map(\.bitPattern))
        #expect(a.values != c.values)
    }

    @Test(arguments: SyntheticTensor.Distribution.allCases)
    func distributionsHaveTheirMoments(dist: SyntheticTensor.Distribution) {
        let t = SyntheticTensor(distribution: dist, rows: 256, cols: 256, seed: 1, degreesOfFreedom: 5).make()
        let (m, v) = moments(t.values)
        #expect(abs(m) < 0.02)
        switch dist {
        case .normal, .laplace: #expect(abs(v - 1) < 0.03)
        case .studentT: #expect(abs(v - 5.0 / 3.0) < 0.15) // df / (df − 2)
        case .uniform:
            #expect(abs(v - 1.0 / 3.0) < 0.01)
            #expect(t.values.allSatisfy { $0 >= -1 && $0 < 1 })
        }
    }

    @Test func outlierColumnsAreScaledAtTheRecordedIndices() {
        let spec = SyntheticTensor(distribution: .uniform, rows: 8, cols: 100, outlierColumns: 3, outlierScale: 50, seed: 9)
        let idx = spec.outlierIndices
        #expect(idx.count == 3 && idx == idx.sorted())
        let t = spec.make()
        for c in 0..<100 {
            let colMax = (0..<8).map { abs(t.values[$0 * 100 + c]) }.max()!
            #expect(idx.contains(c) == (colMax > 1), "column \(c)")
        }
    }
}
