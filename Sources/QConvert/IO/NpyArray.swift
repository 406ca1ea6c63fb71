import QConvertIR

/// An `.npy` array whose header has been read and checked and whose data has not been touched: in
/// bytes that `owner` keeps alive (a memory map), or in a deflated zip member (`DeflateIndex`). A
/// batch of rows can then become a tensor without the rest of the array being read or copied (a
/// split calibration file feeds one sample at a time).
public struct NpyArray {
    public let dataType: DataType
    public let shape: [Int]
    let bigEndian: Bool
    /// Where the data starts in the `.npy` bytes, and its length.
    let dataStart: Int, byteCount: Int
    let source: Source

    enum Source {
        /// The whole `.npy`, borrowed (nil owner: tensors copy their bytes).
        case bytes(UnsafeRawBufferPointer, owner: AnyObject?)
        /// The `.npy` is a deflated member, read through its index.
        case deflated(DeflateIndex)
    }

    /// Parses the header of the `.npy` in `bytes` (nil owner: tensors copy their bytes).
    public init(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws {
        try self.init(.bytes(bytes, owner: owner), count: bytes.count) { Array(bytes[$0]) }
    }

    /// Parses the header of the `.npy` that `index` inflates.
    init(_ index: DeflateIndex) throws {
        try self.init(.deflated(index), count: index.size) { range in
            var prefix = [UInt8](repeating: 0, count: range.count)
            try prefix.withUnsafeMutableBytes { try index.read(range, into: $0) }
            return prefix
        }
    }

    /// `prefix(range)`: those bytes of the `.npy`, `count` bytes long, for the header.
    private init(_ source: Source, count: Int, prefix: (Range<Int>) throws -> [UInt8]) throws {
        guard count >= 10 else { throw QConvertError("not a .npy file (no \\x93NUMPY magic)") }
        let start = try prefix(0..<min(count, 12))
        guard Array(start[0..<6]) == Npy.magic else { throw QConvertError("not a .npy file (no \\x93NUMPY magic)") }
        let major = start[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(start[8]) | Int(start[9]) << 8
            headerStart = 10
        case 2, 3:
            guard count >= 12 else { throw QConvertError("truncated .npy header") }
            headerLength = Int(start[8]) | Int(start[9]) << 8 | Int(start[10]) << 16 | Int(start[11]) << 24
            headerStart = 12
        default:
            throw QConvertError(".npy format version \(major) is not supported (1, 2 and 3 are)")
        }
        guard headerStart + headerLength <= count else { throw QConvertError("truncated .npy header") }
        let header = String(decoding: try prefix(headerStart..<(headerStart + headerLength)), as: UTF8.self)
        let fields = try NpyHeader(parsing: header)
        let elements = try Npy.elementCount(fields.shape)
        let dataStart = headerStart + headerLength
        if fields.dataType == .string { throw QConvertError("string arrays are not supported") }
        guard let byteCount = fields.dataType.byteCount(elements: elements) else {
            throw QConvertError("array of \(Formatting.grouped(elements)) elements is too large")
        }
        guard count - dataStart >= byteCount else {
            throw QConvertError("truncated: holds \(count - dataStart) bytes of data, shape \(fields.shape) of \(fields.dataType) needs \(byteCount)")
        }
        // Bytes past the array mean the header does not describe the data (a shape edited smaller,
        // two arrays joined): reading only the first part would lose the rest without a word.
        guard count - dataStart == byteCount else {
            throw QConvertError("holds \(count - dataStart - byteCount) bytes after the array its header describes (shape \(fields.shape) of \(fields.dataType), \(byteCount) bytes)")
        }
        dataType = fields.dataType
        shape = fields.shape
        bigEndian = fields.bigEndian
        self.dataStart = dataStart
        self.byteCount = byteCount
        self.source = source
    }

    /// The whole array.
    public func tensor() throws -> Tensor {
        try tensor(shape: shape, bytes: 0..<byteCount)
    }

    /// Rows `rows` of the leading dimension (which the caller has checked the array holds): their
    /// bytes borrowed in place, or copied when misaligned, byte-swapped, ownerless or deflated.
    public func rows(_ rows: Range<Int>) throws -> Tensor {
        let length = shape[0] == 0 ? 0 : byteCount / shape[0]
        return try tensor(shape: [rows.count] + shape.dropFirst(), bytes: (rows.lowerBound * length)..<(rows.upperBound * length))
    }

    /// The tensor of `shape` whose data is bytes `range` of the array's data.
    private func tensor(shape: [Int], bytes range: Range<Int>) throws -> Tensor {
        let itemSize = max(1, dataType.bitWidth / 8)
        let at = (dataStart + range.lowerBound)..<(dataStart + range.upperBound)
        let swap = bigEndian && itemSize > 1
        let storage: TensorStorage
        if case .bytes(let all, let owner?) = source, !swap {
            storage = TensorStorage(borrowing: UnsafeRawBufferPointer(rebasing: all[at]), owner: owner, alignment: itemSize)
        } else {
            storage = try TensorStorage(uninitializedByteCount: at.count) { out in
                switch source {
                case .bytes(let all, _): out.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[at]))
                case .deflated(let index): try index.read(at, into: out)
                }
                guard swap else { return }
                for item in stride(from: 0, to: out.count, by: itemSize) {
                    for k in 0..<(itemSize / 2) { out.swapAt(item + k, item + itemSize - 1 - k) }
                }
            }
        }
        return Tensor(dataType: dataType, shape: shape, storage: storage)
    }
}
