#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QConvertIR

/// An activation function of a recurrent cell (LSTM, GRU, RNN), as named in their `activations` attribute.
///
/// Why its own type: recurrent ops name their gate functions by string and pass the parameters of
/// those that take any (`activation_alpha`/`activation_beta`, consumed in order by the functions that
/// use them, else the defaults of the ONNX ops of the same name).
enum RecurrentActivation {
    case sigmoid, tanh, relu, softsign, softplus
    case affine(alpha: Float, beta: Float)
    case leakyRelu(alpha: Float)
    case thresholdedRelu(alpha: Float)
    case scaledTanh(alpha: Float, beta: Float)
    case hardSigmoid(alpha: Float, beta: Float)
    case elu(alpha: Float)

    func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        case .relu: return max(x, 0)
        case .softsign: return x / (1 + abs(x))
        case .softplus: return logf(1 + expf(x))
        case .affine(let alpha, let beta): return alpha * x + beta
        case .leakyRelu(let alpha): return x >= 0 ? x : alpha * x
        case .thresholdedRelu(let alpha): return x > alpha ? x : 0
        case .scaledTanh(let alpha, let beta): return alpha * tanhf(beta * x)
        case .hardSigmoid(let alpha, let beta): return min(max(alpha * x + beta, 0), 1)
        case .elu(let alpha): return x >= 0 ? x : alpha * (expf(x) - 1)
        }
    }

    /// The functions named in `names` (case-insensitive), taking parameters from `alphas` and `betas`
    /// in order.
    static func parse(_ names: [String], alphas: [Float], betas: [Float]) throws -> [RecurrentActivation] {
        var alphas = alphas[...], betas = betas[...]
        func alpha(_ fallback: Float) -> Float { alphas.popFirst() ?? fallback }
        func beta(_ fallback: Float) -> Float { betas.popFirst() ?? fallback }
        return try names.map { name in
            switch name.lowercased() {
            case "sigmoid": return .sigmoid
            case "tanh": return .tanh
            case "relu": return .relu
            case "softsign": return .softsign
            case "softplus": return .softplus
            case "affine": return .affine(alpha: alpha(1), beta: beta(0))
            case "leakyrelu": return .leakyRelu(alpha: alpha(0.01))
            case "thresholdedrelu": return .thresholdedRelu(alpha: alpha(1))
            case "scaledtanh": return .scaledTanh(alpha: alpha(1), beta: beta(1))
            case "hardsigmoid": return .hardSigmoid(alpha: alpha(0.2), beta: beta(0.5))
            case "elu": return .elu(alpha: alpha(1))
            default: throw QConvertError("activation '\(name)' is not supported")
            }
        }
    }
}
