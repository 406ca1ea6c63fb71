import QConvertIR
import QConvertONNX

/// The libFuzzer entry point of `Scripts/fuzz.sh`: bytes from the fuzzer go through the whole reader
/// (protobuf parse in the COnnx shim, conversion to the IR, `Graph.validate`); a model that loads is
/// serialized, read again and serialized again, and the two serializations must be equal.
///
/// Why the Swift reader and not a C++ harness over COnnx alone: the shim hands parsing to protobuf
/// (fuzzed upstream); the code of ours that trusts numbers from the file (dims, byte counts,
/// attribute kinds, subgraph nesting, value names) is the Swift decoder and the IR checks, and only a
/// harness calling `ONNXReader` reaches both. The round trip adds an oracle beyond "no crash": the
/// writer must accept whatever the reader accepted, and reading its output must change nothing.
///
/// Outcomes: success or a `QConvertError` are fine; any other error is a finding and traps, as do
/// sanitizer reports. A normal `swift build` compiles this as a library that nothing links, which
/// keeps the harness compiling as the reader's API changes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size)
    let model: Model
    do {
        model = try ONNXReader.read(bytes: input, baseDirectory: nil)
    } catch is QConvertError {
        return 0
    } catch {
        fatalError("reader threw a non-QConvertError: \(error)")
    }
    do {
        let first = try ONNXWriter.serialize(model)
        let reread = try first.withUnsafeBytes { try ONNXReader.read(bytes: $0, baseDirectory: nil) }
        let second = try ONNXWriter.serialize(reread)
        guard first == second else {
            fatalError("round trip is not a fixed point: \(first.count) bytes, then \(second.count)")
        }
    } catch {
        fatalError("a model the reader accepted failed to round-trip: \(error)")
    }
    return 0
}
