import QConvertIR

/// What shape inference knows about one value: element type, shape (dims numeric, symbolic or
/// unknown; nil for unknown rank) and, for small integer tensors, the elements themselves.
///
/// Why the elements: exporters compute Reshape targets at run time (Shape -> Gather -> Concat). With a
/// symbolic batch those are not constants, but their elements are still known dims (["N", 64]).
public struct ValueFacts: Sendable, Equatable {
    public var elementType: DataType
    public var shape: [Dim]?
    /// The elements of a rank-0/1 integer tensor, as dims (a number, or a symbolic size), when known.
    public var elements: [Dim]?

    public init(_ elementType: DataType, _ shape: [Dim]?, elements: [Dim]? = nil) {
        self.elementType = elementType
        self.shape = shape
        self.elements = elements
    }

    /// The facts of a known tensor (its elements when it is a short integer list).
    public init(_ tensor: Tensor) {
        let listLike = tensor.rank <= 1 && tensor.count <= ShapeQuery.elementLimit && tensor.dataType != .bool
        self.init(tensor.dataType, tensor.shape.map { .value($0) }, elements: listLike ? tensor.integers()?.map { .value(Int($0)) } : nil)
    }

    /// A value of `elementType` whose elements are `elements` (a 1-D list, or a scalar when `scalar`).
    static func list(_ elements: [Dim], scalar: Bool = false, _ elementType: DataType = .int64) -> ValueFacts {
        ValueFacts(elementType, scalar ? [] : [.value(elements.count)], elements: elements)
    }

    public var tensorType: TensorType { TensorType(elementType: elementType, shape: shape) }
}

/// An op's output facts from its inputs' facts, declared in `Ops/<Op>.swift` next to its kernel.
protocol ShapeInferable: Operator {
    /// One entry per output (missing or nil entries: unknown). Throws when the inputs cannot be valid.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?]
}

/// Ops whose one output has input 0's type and shape (activations, unary math, normalizations).
protocol ShapePreserving: ShapeInferable {}

extension ShapePreserving {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [query.inputs.first.flatMap { $0 }.map { ValueFacts($0.elementType, $0.shape) }]
    }
}

/// Ops whose one output is a bool mask of input 0's shape (IsNaN, IsInf).
protocol BoolOfInputShape: ShapeInferable {}

extension BoolOfInputShape {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [query.inputs.first.flatMap { $0 }.map { ValueFacts(.bool, $0.shape) }]
    }
}

/// Ops whose output is the numpy broadcast of their inputs, of input 0's type.
protocol BroadcastShaped: ShapeInferable {}

extension BroadcastShaped {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [try query.broadcast().map { ValueFacts(query.elementType(0) ?? .undefined, $0) }]
    }
}

/// Comparisons: the numpy broadcast of their inputs, as bool (masks built with Equal/Where).
protocol ComparisonShaped: ShapeInferable {}

extension ComparisonShaped {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [try query.broadcast().map { ValueFacts(.bool, $0) }]
    }
}

extension BroadcastShaped where Self: BinaryArithmetic {
    /// The broadcast shape, plus the elements when both inputs are known integer lists (shape
    /// arithmetic such as Shape(x)[2] / 2), computed with the op's own formula.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let shape = try query.broadcast(), let type = query.elementType(0) else { return [nil] }
        var facts = ValueFacts(type, shape)
        if query.inputs.count == 2, type == .int64 || type == .int32, let a = query.ints(0), let b = query.ints(1),
           a.count == b.count || a.count == 1 || b.count == 1 {
            facts.elements = (0..<max(a.count, b.count)).map { i in
                .value(Int(apply(Int64(a[a.count == 1 ? 0 : i]), Int64(b[b.count == 1 ? 0 : i]))))
            }
        }
        return [facts]
    }
}

/// A node's inputs as shape inference sees them, handed to an op's `inferOutputs`.
struct ShapeQuery {
    /// Integer lists up to this length carry their elements (shapes, axes, slice bounds).
    static let elementLimit = 64

    let node: Node
    /// Facts per input (nil: omitted or unknown).
    let inputs: [ValueFacts?]
    /// Inputs known element by element: constants, and integer lists whose elements are all numbers.
    let tensors: [Tensor?]
    let context: CompileContext

    init(node: Node, inputs: [ValueFacts?], constants: [Tensor?], context: CompileContext) {
        self.node = node
        self.inputs = inputs
        self.context = context
        tensors = zip(inputs, constants).map { facts, constant in
            constant ?? facts.flatMap { facts in
                guard let values = facts.elements?.compactMap(\.number), values.count == facts.elements?.count else { return nil }
                return Tensor(shape: facts.shape?.isEmpty == true ? [] : [values.count], scalars: values.map { Int64($0) })
            }
        }
    }

    func shape(_ index: Int) -> [Dim]? { index < inputs.count ? inputs[index]?.shape : nil }
    func elementType(_ index: Int) -> DataType? { index < inputs.count ? inputs[index]?.elementType : nil }
    func elements(_ index: Int) -> [Dim]? { index < inputs.count ? inputs[index]?.elements : nil }
    func tensor(_ index: Int) -> Tensor? { index < tensors.count ? tensors[index] : nil }
    func ints(_ index: Int) -> [Int]? { tensor(index)?.integers()?.map { Int($0) } }

    /// Whether input `index` is given but its value is not known (so a list argument read from it is
    /// unknown, rather than absent).
    func isUnknown(_ index: Int) -> Bool {
        index < node.inputs.count && !node.inputs[index].isEmpty && tensor(index) == nil
    }

    /// An integer-list argument (attribute or input, by opset): .some(nil) when absent, nil when unknown.
    func list(_ name: String, input: Int, inputSince: Int) throws -> [Int]?? {
        let argument = try IntListArgument(node, context, name: name, input: input, inputSince: inputSince)
        if case .input(let index) = argument, isUnknown(index) { return nil }
        return .some(try argument.value(tensors, name: name))
    }

    /// The numpy broadcast of every given input's shape; nil when one is of unknown rank.
    func broadcast() throws -> [Dim]? {
        var shapes: [[Dim]] = []
        for (index, name) in node.inputs.enumerated() where !name.isEmpty {
            guard let shape = shape(index) else { return nil }
            shapes.append(shape)
        }
        return try Dim.broadcast(shapes)
    }
}

extension Dim {
    /// The size, when it is a number.
    var number: Int? {
        if case .value(let v) = self { return v }
        return nil
    }

    /// Numpy broadcasting on possibly symbolic dims: a number other than 1 wins; equal names stay;
    /// names that differ (either might be 1) give an unknown dim.
    static func broadcast(_ shapes: [[Dim]]) throws -> [Dim] {
        let rank = shapes.map(\.count).max() ?? 0
        let aligned = shapes.map { Array(repeating: Dim.value(1), count: rank - $0.count) + $0 }
        return try (0..<rank).map { axis in
            let dims = aligned.map { $0[axis] }
            let sizes = Set(dims.compactMap(\.number).filter { $0 != 1 })
            guard sizes.count <= 1 else { throw QConvertError("shapes \(shapes.map(text).joined(separator: " and ")) do not broadcast") }
            if let size = sizes.first { return .value(size) }
            let rest = Set(dims.filter { $0 != .value(1) })
            return rest.isEmpty ? .value(1) : rest.count == 1 && rest.first != .unknown ? rest.first! : .unknown
        }
    }

    /// `[1, N, 32]`, for messages.
    static func text(_ dims: [Dim]) -> String {
        "[" + dims.map(\.description).joined(separator: ", ") + "]"
    }

    /// A dims list as shapes: numbers when all are known.
    static func numbers(_ dims: [Dim]) -> [Int]? {
        let values = dims.compactMap(\.number)
        return values.count == dims.count ? values : nil
    }
}

extension Dim {
    /// Sizes well above any kernel extent, for checking that a size formula is the identity.
    static let probe = 4099

    /// The size `formula` gives for this dim. A symbolic size keeps its name when `unitStep` (the
    /// formula is in + c: stride 1, scale 1) and c is 0, which `formula(probe)` shows; else it is unknown.
    func mapped(unitStep: Bool, _ formula: (Int) throws -> Int) throws -> Dim {
        if let number { return .value(try formula(number)) }
        return unitStep && (try? formula(Self.probe)) == Self.probe ? self : .unknown
    }

    /// The product of `dims`: a number when all are numbers (unknown if it overflows: declared sizes
    /// come from the file, and a hostile one declares [2^40, 2^40, 2^40]), the one symbolic dim when
    /// the rest are 1s.
    static func product(_ dims: some Collection<Dim>) -> Dim {
        if let numbers = numbers(Array(dims)) { return Tensor.checkedElementCount(numbers).map { .value($0) } ?? .unknown }
        let rest = dims.filter { $0 != .value(1) }
        return rest.count == 1 ? rest.first! : .unknown
    }

    /// The sum of declared sizes, or nil when it overflows (Concat of two [2^62] inputs).
    static func checkedSum(_ numbers: [Int]) -> Int? {
        var result = 0
        for number in numbers {
            let (sum, overflow) = result.addingReportingOverflow(number)
            if overflow { return nil }
            result = sum
        }
        return result
    }
}
