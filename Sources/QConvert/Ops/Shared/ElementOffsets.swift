import QConvertIR

/// Where each element of an indices tensor points in data for GatherElements and ScatterElements:
/// position p = (i0, ..., ik) of indices names data[i0, ..., indices[p], ..., ik], the index taking
/// the place of coordinate `axis`.
enum ElementOffsets {
    /// Data's flat offset for each element of `indices` (shape `shape`, data's rank, no larger than
    /// data outside the axis); negative indices count from the end, one out of range is an error.
    static func of(_ indices: [Int], shape: [Int], dataShape: [Int], axis: Int) throws -> [Int] {
        let extent = dataShape[axis]
        let picks = try indices.map { index in
            guard index >= -extent && index < extent else {
                throw QConvertError("index \(index) is out of range for axis \(axis) of size \(extent)")
            }
            return index < 0 ? index + extent : index
        }
        // Walk indices' positions reading data's offset with the axis stride zeroed; each element
        // then adds its index times that stride.
        var dataStrides = StridedCopy.contiguousStrides(dataShape)
        let axisStride = dataStrides[axis]
        dataStrides[axis] = 0
        let walk = StridedRows(shape: shape, strides: [dataStrides, StridedCopy.contiguousStrides(shape)])
        var offsets = [Int](repeating: 0, count: picks.count)
        guard walk.count > 0 else { return offsets }
        let inner = walk.inner, step = walk.innerStride(0), indexStep = walk.innerStride(1)
        walk.forEachRow(0..<walk.rows) { start, position in
            for i in 0..<inner {
                let p = position[1] + i * indexStep
                offsets[p] = position[0] + i * step + picks[p] * axisStride
            }
        }
        return offsets
    }
}
