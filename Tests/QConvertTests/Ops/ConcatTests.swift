@testable import QConvert
import QConvertIR
import Testing

/// Concat copies its output in fixed chunks of bytes that cross rows and parts; large joins must still
/// put every element where a plain row-by-row join does, with any thread count.
@Suite struct ConcatTests {
    /// Element i of part p is p * 1_000_000 + i, so a misplaced element is visible.
    static func part(_ p: Int, _ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, scalars: (0..<count).map { Float(p * 1_000_000 + $0) })
    }

    /// The join done row by row, the way the ONNX spec describes it.
    static func expected(_ parts: [Tensor], axis: Int) -> [Float] {
        let outer = parts[0].shape[..<axis].reduce(1, *)
        var out: [Float] = []
        for row in 0..<outer {
            for part in parts {
                let size = part.shape[axis...].reduce(1, *)
                out += part.scalars(of: Float.self)[row * size..<(row + 1) * size]
            }
        }
        return out
    }

    @Test(arguments: [(axis: 1, shapes: [[1, 40, 30, 30], [1, 17, 30, 30], [1, 64, 30, 30]]),
                      (axis: 2, shapes: [[3, 5, 700, 9], [3, 5, 1, 9], [3, 5, 1300, 9]]),
                      (axis: 0, shapes: [[20000, 3], [1, 3], [70000, 3]])])
    func largeJoinsMatchRowByRow(_ setup: (axis: Int, shapes: [[Int]])) throws {
        let parts = setup.shapes.enumerated().map { Self.part($0.offset, $0.element) }
        let truth = Self.expected(parts, axis: setup.axis)
        #expect(truth.count * 4 > 2 * Ops.Concat.grain, "the join spans several chunks")
        for threads in [1, 2, 3] {
            let joined = try Ops.Concat.join(parts, axis: setup.axis, threads: threads)
            // The first misplaced element, not two arrays of a million numbers.
            let firstWrong = zip(joined.scalars(of: Float.self), truth).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(joined.shape.reduce(1, *) == truth.count)
            #expect(firstWrong == nil, "axis \(setup.axis), \(threads) threads: first wrong element \(String(describing: firstWrong))")
        }
    }
}
