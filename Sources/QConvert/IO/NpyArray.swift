import QConvertIR

/// An `.npy` array found in bytes that `owner` keeps alive: its header read and checked, its data
/// not yet touched. A batch of rows can then become a tensor without the rest of the array being
/// read or copied (a split calibration file feeds one sample at a time).
public struct NpyArray {
    public let dataType: DataType
    public let shape: [Int]
    let bigEndian: Bool
    let data: UnsafeRawBufferPointer
    let owner: AnyObject?

    /// Parses the header of the `.npy` in `bytes` (nil owner: tensors copy their bytes).
    public init(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws {
        guard bytes.count >= 10, Array(bytes[0..<6]) == Npy.magic else {
            throw QConvertError("not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw QConvertError("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw QConvertError(".npy format version \(major) is not supported (1, 2 and 3 are)")
        }
        guard headerStart + headerLength <= bytes.count else { throw QConvertError("truncated .npy header") }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)]), as: UTF8.self)
        let fields = try NpyHeader(parsing: header)
        let count = try Npy.elementCount(fields.shape)
        let dataStart = headerStart + headerLength
        if fields.dataType == .string { throw QConvertError("string arrays are not supported") }
        guard let byteCount = fields.dataType.byteCount(elements: count) else {
            throw QConvertError("array of \(Formatting.grouped(count)) elements is too large")
        }
        guard bytes.count - dataStart >= byteCount else {
            throw QConvertError("truncated: holds \(bytes.count - dataStart) bytes of data, shape \(fields.shape) of \(fields.dataType) needs \(byteCount)")
        }
        // Bytes past the array mean the header does not describe the data (a shape edited smaller,
        // two arrays joined): reading only the first part would lose the rest without a word.
        guard bytes.count - dataStart == byteCount else {
            throw QConvertError("holds \(bytes.count - dataStart - byteCount) bytes after the array its header describes (shape \(fields.shape) of \(fields.dataType), \(byteCount) bytes)")
        }
        dataType = fields.dataType
        shape = fields.shape
        bigEndian = fields.bigEndian
        data = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + byteCount)])
        self.owner = owner
    }

    /// The whole array.
    public func tensor() -> Tensor {
        tensor(shape: shape, bytes: data)
    }

    /// Rows `rows` of the leading dimension (which the caller has checked the array holds): their
    /// bytes borrowed in place, or copied when misaligned, byte-swapped or ownerless.
    public func rows(_ rows: Range<Int>) -> Tensor {
        let length = shape[0] == 0 ? 0 : data.count / shape[0]
        return tensor(shape: [rows.count] + shape.dropFirst(),
                      bytes: UnsafeRawBufferPointer(rebasing: data[(rows.lowerBound * length)..<(rows.upperBound * length)]))
    }

    private func tensor(shape: [Int], bytes: UnsafeRawBufferPointer) -> Tensor {
        let itemSize = max(1, dataType.bitWidth / 8)
        let storage: TensorStorage
        if bigEndian && itemSize > 1 {
            storage = TensorStorage(byteCount: bytes.count) { out in
                for index in stride(from: 0, to: bytes.count, by: itemSize) {
                    for k in 0..<itemSize { out[index + k] = bytes[index + itemSize - 1 - k] }
                }
            }
        } else if let owner {
            storage = TensorStorage(borrowing: bytes, owner: owner, alignment: itemSize)
        } else {
            storage = TensorStorage(byteCount: bytes.count) { $0.copyMemory(from: bytes) }
        }
        return Tensor(dataType: dataType, shape: shape, storage: storage)
    }
}
