import COnnx
import QConvertIR

/// Turns a TensorProto into a Tensor, checking every size against what the file really holds.
///
/// raw_data and the typed fields whose layout already is the element layout (float_data for float32,
/// int64_data for int64...) are borrowed from the parsed message, not copied. Narrow types that ONNX
/// stores widened in int32_data (int8, float16, bool...) are converted. External data is resolved by
/// `ExternalDataResolver` and borrowed from a memory map.
struct TensorDecoder {
    /// The parsed message the decoded tensors borrow bytes from.
    let owner: AnyObject
    let external: ExternalDataResolver

    /// Decodes a tensor. `keepName`: store the proto's name in the tensor's extras (attribute tensors;
    /// initializers are named by their key instead).
    func tensor(_ t: qc_tensor, keepName: Bool = false) throws -> Tensor {
        let name = qc_tensor_name(t).string
        do {
            var tensor = try decode(t)
            if keepName { tensor.extras.name = name }
            return tensor
        } catch let error as QConvertError {
            throw error.context(name.isEmpty ? "a tensor attribute" : "tensor '\(name)'")
        }
    }

    private func decode(_ t: qc_tensor) throws -> Tensor {
        let dataType = DataType(rawValue: qc_tensor_data_type(t))
        let dims = repeatedView { qc_tensor_dims(t, $0) }
        if let negative = dims.first(where: { $0 < 0 }) {
            throw QConvertError("has a negative dimension \(negative) in \(Array(dims))")
        }
        let shape = dims.map { Int($0) }
        guard let count = Tensor.checkedElementCount(shape) else {
            throw QConvertError("dimensions \(shape) overflow a 64-bit element count")
        }
        let extras = ProtoExtras(docString: qc_tensor_doc_string(t).string, unknownFields: qc_tensor_unknown(t).array)
        if dataType == .string {
            let n = Int(qc_tensor_string_data_count(t))
            guard n == count else { throw QConvertError("holds \(n) strings, its shape \(shape) needs \(count)") }
            let strings = (0..<Int32(n)).map { qc_tensor_string_data_at(t, $0).array }
            return Tensor(dataType: .string, shape: shape, storage: TensorStorage(strings: strings), extras: extras)
        }
        let storage = try bytes(t, dataType: dataType, count: count)
        return Tensor(dataType: dataType, shape: shape, storage: storage, extras: extras)
    }

    private func bytes(_ t: qc_tensor, dataType: DataType, count: Int) throws -> TensorStorage {
        let expected = dataType.byteCount(elements: count)
        let alignment = max(1, min(8, dataType.bitWidth / 8))
        if dataType.isKnown, dataType != .string, expected == nil {
            throw QConvertError("\(count) elements of \(dataType) overflow a 64-bit byte count")
        }
        if qc_tensor_data_location(t) == 1 {
            guard let expected else { throw QConvertError("external data of type \(dataType) is not supported") }
            return try external.storage(for: t, byteCount: expected, alignment: alignment)
        }
        if qc_tensor_has_raw_data(t) != 0 {
            let raw = qc_tensor_raw_data(t).raw
            if let expected, raw.count != expected {
                throw QConvertError("has \(raw.count) bytes of raw_data; type \(dataType) and shape need \(expected)")
            }
            return TensorStorage(borrowing: raw, owner: ParsedTensorData(parsed: owner, tensor: t, field: QC_RAW_DATA), alignment: alignment)
        }
        guard let expected else {
            throw QConvertError("element type \(dataType.rawValue) is not supported without raw_data")
        }
        switch dataType {
        case .float, .complex64:
            return try borrowTyped(t, QC_FLOAT_DATA, repeatedView { qc_tensor_float_data(t, $0) }, perElement: dataType == .float ? 1 : 2, count: count)
        case .double, .complex128:
            return try borrowTyped(t, QC_DOUBLE_DATA, repeatedView { qc_tensor_double_data(t, $0) }, perElement: dataType == .double ? 1 : 2, count: count)
        case .int32:
            return try borrowTyped(t, QC_INT32_DATA, repeatedView { qc_tensor_int32_data(t, $0) }, perElement: 1, count: count)
        case .int64:
            return try borrowTyped(t, QC_INT64_DATA, repeatedView { qc_tensor_int64_data(t, $0) }, perElement: 1, count: count)
        case .uint64:
            return try borrowTyped(t, QC_UINT64_DATA, repeatedView { qc_tensor_uint64_data(t, $0) }, perElement: 1, count: count)
        case .uint32:
            let values = try checked(repeatedView { qc_tensor_uint64_data(t, $0) }, count: count)
            return TensorStorage(byteCount: expected) { out in
                for (i, v) in values.enumerated() { out.storeBytes(of: UInt32(truncatingIfNeeded: v), toByteOffset: i * 4, as: UInt32.self) }
            }
        case .int8, .uint8, .bool, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz:
            let values = try checked(repeatedView { qc_tensor_int32_data(t, $0) }, count: count)
            return TensorStorage(byteCount: expected) { out in
                for (i, v) in values.enumerated() { out[i] = UInt8(truncatingIfNeeded: v) }
            }
        case .int16, .uint16, .float16, .bfloat16:
            let values = try checked(repeatedView { qc_tensor_int32_data(t, $0) }, count: count)
            return TensorStorage(byteCount: expected) { out in
                for (i, v) in values.enumerated() { out.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: i * 2, as: UInt16.self) }
            }
        default:
            if count == 0 { return TensorStorage(byteCount: 0) { _ in } }
            throw QConvertError("element type \(dataType) is only supported in raw_data")
        }
    }

    /// Checks a typed field holds exactly `count` values.
    private func checked<T>(_ values: UnsafeBufferPointer<T>, count: Int) throws -> UnsafeBufferPointer<T> {
        guard values.count == count else {
            throw QConvertError("holds \(values.count) values; its shape needs \(count)")
        }
        return values
    }

    /// Borrows a typed field whose in-memory layout is the raw element layout.
    private func borrowTyped<T>(
        _ t: qc_tensor, _ field: qc_data_field, _ values: UnsafeBufferPointer<T>, perElement: Int, count: Int
    ) throws -> TensorStorage {
        guard values.count == count * perElement else {
            throw QConvertError("holds \(values.count) values; its shape needs \(count * perElement)")
        }
        let source = ParsedTensorData(parsed: owner, tensor: t, field: field)
        return TensorStorage(borrowing: UnsafeRawBufferPointer(values), owner: source, alignment: MemoryLayout<T>.alignment)
    }
}
