import QConvertIR

/// Checks one calibration tensor against the model input it feeds, before anything runs: element
/// type, rank and fixed dimensions (as the interpreter checks any input), and, for calibration only,
/// at least one element (an empty sample calibrates nothing, and a folder of them would quantize
/// nothing without a word) and finiteness.
///
/// Why here and not only in the interpreter: the error must name the file the user has to fix (a
/// NaN in sample 1,734 of 5,000 is otherwise a needle in a haystack), and a NaN would poison every
/// histogram downstream without failing anything.
enum SampleValidation {
    static func check(_ tensor: Tensor, against input: ValueInfo, file: String) throws {
        let name = input.name
        try Interpreter.check(tensor, against: input, source: file)
        if tensor.shape.contains(0) {
            throw QConvertError("\(file): input '\(name)' has no elements (shape \(tensor.shape))")
        }
        if let index = firstNonFinite(tensor) {
            throw QConvertError("\(file): input '\(name)' has a non-finite value (NaN or infinity) at flat index \(index)")
        }
    }

    /// Flat index of the first NaN or infinity in a floating-point tensor; nil if none (or not float).
    static func firstNonFinite(_ tensor: Tensor) -> Int? {
        switch tensor.dataType {
        case .float:
            return tensor.withElements(of: Float.self) { values in values.firstIndex { !$0.isFinite } }
        case .double:
            return tensor.withElements(of: Double.self) { values in values.firstIndex { !$0.isFinite } }
        case .float16, .bfloat16:
            // Exponent bits all ones means infinity or NaN in both formats.
            let mask: UInt16 = tensor.dataType == .float16 ? 0x7C00 : 0x7F80
            return tensor.withElements(of: UInt16.self) { values in values.firstIndex { $0 & mask == mask } }
        default:
            return nil
        }
    }
}
