import QConvertIR

/// Tensor helpers kernels share: reading shape-like inputs and building outputs whose ONNX type differs
/// from the Swift type that stores them (bool as UInt8, any type moved as same-width unsigned bits).
extension Tensor {
    /// The elements of an integer tensor (a shape, axes, indices) as Int; `name` names it in errors.
    func intValues(_ name: String) throws -> [Int] {
        guard let values = integers() else {
            throw QConvertError("\(name) must be an integer tensor, got \(dataType)")
        }
        return values.map { Int($0) }
    }

    /// The single element of an integer tensor (Range's bounds, TopK's k...).
    func intScalar(_ name: String) throws -> Int {
        let values = try intValues(name)
        guard values.count == 1 else { throw QConvertError("\(name) must have one element, got shape \(shape)") }
        return values[0]
    }

    /// The single element of a float32 tensor (NonMaxSuppression's thresholds).
    func floatScalar(_ name: String) throws -> Float {
        guard dataType == .float, count == 1 else { throw QConvertError("\(name) must be one float32, got \(dataType) \(shape)") }
        return scalars(of: Float.self)[0]
    }

    /// A new tensor of ONNX type `dataType` stored as `T` (which must have its width), filled by `fill`.
    init<T: TensorElement>(
        shape: [Int], dataType: DataType, of type: T.Type, fill: (UnsafeMutableBufferPointer<T>) throws -> Void
    ) rethrows {
        try self.init(shape: shape, of: T.self, fill: fill)
        self.dataType = dataType
    }

    /// As above, for kernels whose `initialize` writes every element (the storage starts uninitialised).
    init<T: TensorElement>(
        uninitializedShape shape: [Int], dataType: DataType, of type: T.Type, initialize: (UnsafeMutableBufferPointer<T>) throws -> Void
    ) rethrows {
        try self.init(uninitializedShape: shape, of: T.self, initialize: initialize)
        self.dataType = dataType
    }

    /// The transpose of a 2-D tensor of a fixed-width type (not strings): a Gemm's transA input, a
    /// transB weight stored [K, N] for MatMulInteger, a float weight measured against such codes.
    func transposedMatrix() -> Tensor {
        func transpose<T: TensorElement>(_: T.Type) -> Tensor {
            let (rows, columns) = (shape[0], shape[1])
            return withElements(of: T.self) { values in
                Tensor(uninitializedShape: [columns, rows], dataType: dataType, of: T.self) { out in
                    for i in 0..<rows {
                        for j in 0..<columns { out[j * rows + i] = values[i * columns + j] }
                    }
                }
            }
        }
        precondition(rank == 2, "transposing a \(shape) tensor as a matrix")
        switch dataType.bitWidth {
        case 8: return transpose(UInt8.self)
        case 16: return transpose(UInt16.self)
        case 32: return transpose(UInt32.self)
        case 64: return transpose(UInt64.self)
        default: preconditionFailure("transposing a \(dataType) tensor as a matrix")
        }
    }

    /// A tensor of `shape` and this tensor's type made of `count` slices of this tensor,
    /// `sliceElements` each: the j-th is this tensor's slice number `source(j)` (Gather, GatherND).
    func slices(count: Int, sliceElements: Int, shape: [Int], source: (Int) -> Int) -> Tensor {
        let block = sliceElements * dataType.bitWidth / 8
        let storage = TensorStorage(uninitializedByteCount: count * block) { out in
            guard block > 0 else { return }
            let bytes = self.storage.bytes
            for j in 0..<count {
                let from = source(j) * block
                UnsafeMutableRawBufferPointer(rebasing: out[(j * block)..<((j + 1) * block)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[from..<from + block]))
            }
        }
        return Tensor(dataType: dataType, shape: shape, storage: storage)
    }
}
