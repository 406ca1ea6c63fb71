import QConvertIR
import QConvertONNX

/// Reading and writing numpy `.npy` arrays (format versions 1, 2 and 3; C order; every numeric dtype
/// and bool), the format calibration samples, test inputs and `qconvert run` outputs use.
///
/// Reading memory-maps the file and borrows the array bytes when they are little-endian and aligned,
/// so a calibration sample is never copied on its way into the interpreter.
public enum Npy {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Reads the array in `path`; errors name the file.
    public static func read(path: String) throws -> Tensor {
        try map(path: path).tensor()
    }

    /// Locates the array in `path` without reading its data, which stays mapped; errors name the file.
    public static func map(path: String) throws -> NpyArray {
        do {
            let file = try MappedFile(path: path)
            return try NpyArray(file.bytes, owner: file)
        } catch let error as QConvertError {
            throw error.context(path)
        }
    }

    /// Decodes an in-memory `.npy` whose bytes stay valid as long as `owner` lives (nil: copy them).
    public static func decode(_ bytes: UnsafeRawBufferPointer, owner: AnyObject?) throws -> Tensor {
        try NpyArray(bytes, owner: owner).tensor()
    }

    /// The `.npy` (version 1) bytes of a tensor.
    public static func encode(_ tensor: Tensor) throws -> [UInt8] {
        guard let descr = descriptor(tensor.dataType) else {
            throw QConvertError("cannot write a \(tensor.dataType) tensor as .npy")
        }
        let shapeText: String
        switch tensor.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // numpy pads so that the data starts at a multiple of 64 bytes, ending the header with "\n".
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        out += Array(tensor.storage.bytes)
        return out
    }

    /// Writes a tensor as `.npy`, atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let file = try AtomicFile(destination: path)
        try file.write(try encode(tensor))
        try file.commit()
    }

    /// The element count, refusing shapes whose nonzero dimensions overflow (see
    /// `Tensor.checkedElementCount`: an empty array's strides still multiply them).
    static func elementCount(_ shape: [Int]) throws -> Int {
        guard let count = Tensor.checkedElementCount(shape) else {
            throw QConvertError("shape \(shape) overflows a 64-bit element count")
        }
        return count
    }

    static let descriptors: [(String, DataType)] = [
        ("f4", .float), ("f8", .double), ("f2", .float16), ("i1", .int8), ("u1", .uint8), ("i2", .int16),
        ("u2", .uint16), ("i4", .int32), ("u4", .uint32), ("i8", .int64), ("u8", .uint64), ("b1", .bool),
    ]

    static func descriptor(_ type: DataType) -> String? {
        guard let code = descriptors.first(where: { $0.1 == type })?.0 else { return nil }
        return (code.hasSuffix("1") ? "|" : "<") + code
    }
}

/// The three fields of a `.npy` header dict, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }`.
struct NpyHeader {
    var dataType: DataType
    var bigEndian: Bool
    var shape: [Int]

    init(parsing header: String) throws {
        // numpy's reader strips whitespace around the dict; "\r\n" is one Character, so bytes are compared.
        let meaningful = header.utf8.filter { !" \n\t\r\u{0C}\0".utf8.contains($0) }
        guard meaningful.first == UInt8(ascii: "{"), meaningful.last == UInt8(ascii: "}") else {
            throw QConvertError("malformed .npy header (not a {...} dict): \(header.prefix(80))")
        }
        guard let descr = Self.value(of: "descr", in: header), descr.count >= 2 else {
            throw QConvertError("malformed .npy header (no 'descr'): \(header.prefix(80))")
        }
        let body = descr.trimmingCharacters(in: " '\"")
        // A code without a byte-order mark ('f4', as hand-written headers have it) is native, as
        // numpy reads it: little-endian on the machines qconvert runs on.
        let order = body.first.flatMap { "<>|=".contains($0) ? $0 : nil }
        guard let entry = Npy.descriptors.first(where: { $0.0 == String(order == nil ? body[...] : body.dropFirst()) }) else {
            throw QConvertError("unsupported .npy dtype \(descr) (numeric types and bool are supported)")
        }
        dataType = entry.1
        bigEndian = order == ">"
        if let fortran = Self.value(of: "fortran_order", in: header), fortran.hasPrefix("True") {
            throw QConvertError("Fortran-order arrays are not supported; save with np.ascontiguousarray")
        }
        guard let shapeText = Self.value(of: "shape", in: header), shapeText.hasPrefix("("),
              let close = shapeText.firstIndex(of: ")")
        else {
            throw QConvertError("malformed .npy header (no 'shape')")
        }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        shape = try inner.split(separator: ",").compactMap { part -> Int? in
            let trimmed = String(part).trimmingCharacters(in: " L")
            if trimmed.isEmpty { return nil }
            guard let dim = Int(trimmed), dim >= 0 else { throw QConvertError("malformed .npy shape (\(inner))") }
            return dim
        }
    }

    /// The text after `'key':` up to the next top-level comma (tuples kept whole).
    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[range.upperBound...].drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        var depth = 0
        var end = rest.startIndex
        while end < rest.endIndex {
            let c = rest[end]
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if (c == "," && depth == 0) || c == "}" { break }
            end = rest.index(after: end)
        }
        return String(rest[rest.startIndex..<end])
    }
}

extension String {
    /// Removes leading and trailing characters from `set` (no Foundation needed).
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
