import QConvertIR

extension WindowAttributes {
    /// The output's spatial dims for input dims that may be symbolic, by `axisGeometry`: what shape
    /// inference needs from Conv, MaxPool and AveragePool. A symbolic size stays (by name) through a
    /// stride-1 window whose padding covers the kernel.
    func outputDims(input: [Dim], kernel: [Int]) throws -> [Dim] {
        let rank = input.count
        guard (1...3).contains(rank), kernel.count == rank else {
            throw QConvertError("\(rank) spatial dimensions with kernel \(kernel) are not supported")
        }
        let (strides, dilations, pads) = try resolved(rank: rank, kernel: kernel)
        return try (0..<rank).map { axis in
            try input[axis].mapped(unitStep: strides[axis] == 1) { size in
                try axisGeometry(input: size, kernel: kernel[axis], stride: strides[axis], dilation: dilations[axis],
                                 pads: (pads.begin[axis], pads.end[axis])).output
            }
        }
    }
}
