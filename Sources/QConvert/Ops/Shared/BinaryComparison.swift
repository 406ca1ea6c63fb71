import QConvertIR

/// A comparison producing a bool, on any ordered element type.
///
/// Why a protocol: Equal, Less, Greater, LessOrEqual and GreaterOrEqual each state their predicate in
/// their own file and share the broadcasting loop and the type dispatch here.
protocol BinaryComparison {
    static func holds<T: Comparable>(_ a: T, _ b: T) -> Bool
}

extension Broadcast {
    /// y = F(a, b) as bool with numpy broadcasting; a and b must have the same type.
    static func comparison<F: BinaryComparison>(_ formula: F.Type, _ a: Tensor, _ b: Tensor, threads: Int) throws -> Tensor {
        guard a.dataType == b.dataType else {
            throw QConvertError("inputs have different types \(a.dataType) and \(b.dataType)")
        }
        let plan = try Broadcast([a.shape, b.shape])
        func compare<T: TensorElement & Comparable>(_ type: T.Type) -> Tensor {
            plan.map(a, b, to: .bool, threads: threads, Comparing<F, T>())
        }
        switch a.dataType {
        case .float: return compare(Float.self)
        case .double: return compare(Double.self)
        case .int8: return compare(Int8.self)
        case .int16: return compare(Int16.self)
        case .int32: return compare(Int32.self)
        case .int64: return compare(Int64.self)
        case .uint8, .bool: return compare(UInt8.self)
        case .uint16: return compare(UInt16.self)
        case .uint32: return compare(UInt32.self)
        case .uint64: return compare(UInt64.self)
        default: throw QConvertError("\(a.dataType) inputs are not supported")
        }
    }

    /// y = f(a, b) on bool tensors (stored as 0/1 bytes) with numpy broadcasting (And, Or).
    static func logical(_ a: Tensor, _ b: Tensor, threads: Int, _ f: some BinaryFunction<UInt8, UInt8, UInt8>) throws -> Tensor {
        guard a.dataType == .bool, b.dataType == .bool else {
            throw QConvertError("expects bool inputs, got \(a.dataType) and \(b.dataType)")
        }
        return try Broadcast([a.shape, b.shape]).map(a, b, to: .bool, threads: threads, f)
    }
}

/// `F`'s predicate on `T` as 0/1 bytes, as a `BinaryFunction` the loops specialise on.
private struct Comparing<F: BinaryComparison, T: TensorElement & Comparable>: BinaryFunction {
    func callAsFunction(_ a: T, _ b: T) -> UInt8 { F.holds(a, b) ? 1 : 0 }
}
