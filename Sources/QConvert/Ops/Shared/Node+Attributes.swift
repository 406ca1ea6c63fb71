import QConvertIR

/// Typed attribute reading for kernels: a missing attribute gives the default, a wrong-typed one is an
/// error naming the attribute (the caller adds the node).
extension Node {
    public func int(_ name: String, default value: Int? = nil) throws -> Int {
        switch attribute(name) {
        case .int(let v)?: return Int(v)
        case nil:
            guard let value else { throw QConvertError("missing required attribute '\(name)'") }
            return value
        default: throw QConvertError("attribute '\(name)' must be an int")
        }
    }

    public func float(_ name: String, default value: Float? = nil) throws -> Float {
        switch attribute(name) {
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        case nil:
            guard let value else { throw QConvertError("missing required attribute '\(name)'") }
            return value
        default: throw QConvertError("attribute '\(name)' must be a float")
        }
    }

    public func string(_ name: String, default value: String? = nil) throws -> String {
        switch attribute(name) {
        case .string(let bytes)?: return String(decoding: bytes, as: UTF8.self)
        case nil:
            guard let value else { throw QConvertError("missing required attribute '\(name)'") }
            return value
        default: throw QConvertError("attribute '\(name)' must be a string")
        }
    }

    /// An ints attribute, or nil when absent.
    public func ints(_ name: String) throws -> [Int]? {
        switch attribute(name) {
        case .ints(let v)?: return v.map { Int($0) }
        case nil: return nil
        default: throw QConvertError("attribute '\(name)' must be a list of ints")
        }
    }

    /// A floats attribute, or nil when absent.
    public func floats(_ name: String) throws -> [Float]? {
        switch attribute(name) {
        case .floats(let v)?: return v
        case nil: return nil
        default: throw QConvertError("attribute '\(name)' must be a list of floats")
        }
    }

    /// A graph attribute (If branches, Loop bodies).
    public func graph(_ name: String) throws -> Graph {
        guard case .graph(let g)? = attribute(name) else { throw QConvertError("missing graph attribute '\(name)'") }
        return g
    }
}
