@testable import QConvert
import QConvertIR
import Testing

/// numpy broadcasting rules (`Broadcast`), with hand-computed shapes, merged row walks and errors.
@Suite struct BroadcastTests {
    @Test(arguments: [
        ([[2, 3, 4], [4]], [2, 3, 4]),
        ([[2, 1, 4], [3, 1]], [2, 3, 4]),
        ([[], [5]], [5]),
        ([[], []], []),
        ([[1], [7, 1, 1]], [7, 1, 1]),
        ([[0, 3], [3]], [0, 3]),
        ([[0], [1]], [0]),
        ([[2, 1, 1], [1, 3, 1], [1, 1, 4]], [2, 3, 4]),
        ([[5, 1, 7], [2, 1, 3, 1]], [2, 5, 3, 7]),
    ] as [([[Int]], [Int])])
    func outputShape(_ shapes: [[Int]], _ expected: [Int]) throws {
        #expect(try Broadcast.shape(shapes) == expected)
    }

    @Test(arguments: [[[2, 3], [3, 2]], [[0], [2]], [[4], [1, 3]], [[2, 1], [1, 3], [3, 3]]])
    func incompatibleShapesThrow(_ shapes: [[Int]]) {
        #expect(throws: QConvertError.self) { try Broadcast.shape(shapes) }
    }

    @Test func unidirectionalTarget() throws {
        #expect(try Broadcast([[3, 1, 1]], to: [2, 3, 4, 4]).shape == [2, 3, 4, 4])
        #expect(throws: QConvertError.self) { try Broadcast([[2, 3, 4, 4]], to: [3, 1, 1]) }
        #expect(throws: QConvertError.self) { try Broadcast([[5]], to: [2, 4]) }
    }

    @Test func perChannelMergesIntoThreeDims() throws {
        let plan = try Broadcast([[2, 3, 4, 5], [3, 1, 1]])
        #expect(plan.walk.dims == [2, 3, 20])
        #expect(plan.walk.strides == [[60, 20, 1], [0, 1, 0]])
    }

    @Test func equalShapesAndScalarsAreOneRow() throws {
        let same = try Broadcast([[2, 3, 5], [2, 3, 5]])
        #expect(same.walk.dims == [30])
        #expect(same.walk.strides == [[1], [1]])
        let scalar = try Broadcast([[4, 5], []])
        #expect(scalar.walk.dims == [20])
        #expect(scalar.walk.strides == [[1], [0]])
        let single = try Broadcast([[], [1, 1]])
        #expect(single.walk.dims == [1] && single.count == 1)
    }

    @Test func outerProductValues() throws {
        let a = Tensor(shape: [2, 1], scalars: [Float(1), 2])
        let b = Tensor(shape: [3], scalars: [Float(10), 20, 30])
        let sum = try Broadcast.arithmetic(Ops.Add.self, a, b, threads: 2)
        #expect(sum.shape == [2, 3])
        #expect(sum.scalars(of: Float.self) == [11, 21, 31, 12, 22, 32])
    }

    @Test func middleAxisBroadcastValues() throws {
        let a = Tensor(shape: [2, 1, 2], scalars: [Int64(1), 2, 3, 4])
        let b = Tensor(shape: [3, 1], scalars: [Int64(10), 20, 30])
        let product = try Broadcast.arithmetic(Ops.Mul.self, a, b, threads: 1)
        #expect(product.shape == [2, 3, 2])
        #expect(product.scalars(of: Int64.self) == [10, 20, 20, 40, 30, 60, 30, 40, 60, 80, 90, 120])
    }

    @Test func mismatchedTypesThrow() {
        let a = Tensor(scalars: [Float(1)]), b = Tensor(scalars: [Int64(1)])
        #expect(throws: QConvertError.self) { try Broadcast.arithmetic(Ops.Add.self, a, b, threads: 1) }
    }
}
