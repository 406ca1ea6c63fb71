import QConvertIR

extension Ops {
    /// CumSum: running sums of x along `axis` (input 1, a scalar). exclusive = 1 leaves each element
    /// out of its own sum (the first is 0); reverse = 1 sums from the end. Exporters write it for
    /// position ids from an attention mask (RoBERTa) and for position embeddings (EdgeNeXt). Types
    /// float32, float64, int32, int64; integers wrap on overflow, as ONNX Runtime's C++ does.
    enum CumSum: Operator {
        static let type = "CumSum"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let exclusive = try node.int("exclusive", default: 0) != 0, reverse = try node.int("reverse", default: 0) != 0
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "x"), axisTensor = try inputs.required(1, "axis")
                guard axisTensor.count == 1, let value = try axisTensor.intValues("axis").first else {
                    throw QConvertError("axis must hold one integer, got \(axisTensor.count) values")
                }
                let axis = try Axes.normalize(value, rank: x.rank)
                // Each run of the sum: `extent` elements `stride` apart, starting at every position
                // of the dims before the axis (outer) and after it (stride).
                let extent = x.shape[axis], stride = x.shape[(axis + 1)...].reduce(1, *), outer = x.shape[..<axis].reduce(1, *)
                func sums<T: TensorElement>(_ zero: T, _ add: (T, T) -> T) -> Tensor {
                    x.withElements(of: T.self) { source in
                        Tensor(uninitializedShape: x.shape, dataType: x.dataType, of: T.self) { out in
                            for o in 0..<outer {
                                for s in 0..<stride {
                                    var running = zero
                                    for step in 0..<extent {
                                        let k = reverse ? extent - 1 - step : step
                                        let i = (o * extent + k) * stride + s
                                        if exclusive {
                                            out.initializeElement(at: i, to: running)
                                            running = add(running, source[i])
                                        } else {
                                            running = add(running, source[i])
                                            out.initializeElement(at: i, to: running)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                switch x.dataType {
                case .float: return [sums(Float(0), +)]
                case .double: return [sums(Double(0), +)]
                case .int32: return [sums(Int32(0), &+)]
                case .int64: return [sums(Int64(0), &+)]
                default: throw QConvertError("\(x.dataType) inputs are not supported (float32, float64, int32, int64 are)")
                }
            }
        }
    }
}

extension Ops.CumSum: ShapePreserving {}
