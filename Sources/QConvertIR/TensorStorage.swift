/// The bytes behind a tensor: either memory qconvert allocated, or a borrowed region of something
/// that outlives it (the parsed protobuf message, a memory-mapped external-data file).
///
/// Why a class: tensors are copied freely (graphs are values), but their bytes must not be. Storage is
/// immutable once built, so sharing it between copies and threads is safe; kernels write only into
/// storage they just allocated (see `Tensor.init(shape:of:fill:)` and `init(uninitializedShape:of:initialize:)`). For string tensors the bytes are
/// empty and `strings` holds the elements.
public final class TensorStorage: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let strings: [[UInt8]]
    /// Keeps a borrowed region alive; nil when `bytes` was allocated here. The ONNX writer looks at it
    /// to recognise bytes it can hand to protobuf without copying.
    public let owner: AnyObject?

    /// Alignment of allocated storage: enough for any element type and for SIMD loads.
    public static let alignment = 64

    /// Allocates `byteCount` bytes and lets `fill` initialise them (they start zeroed).
    public convenience init(byteCount: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        try self.init(uninitializedByteCount: byteCount) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            try fill(buffer)
        }
    }

    /// Allocates `byteCount` bytes that `initialize` must write in full: they start as whatever the
    /// allocator left there. For kernels that write every output element, where zeroing first would
    /// be a wasted pass over the output.
    public init(uninitializedByteCount byteCount: Int, initialize fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: Self.alignment)
        #if DEBUG
        // Debug builds (what `swift test` runs) poison the bytes, so an element a kernel forgot to write
        // reads as NaN (or -1) and fails a test instead of passing on a lucky zero.
        raw.initializeMemory(as: UInt8.self, repeating: 0xFF, count: max(byteCount, 1))
        #endif
        let buffer = UnsafeMutableRawBufferPointer(start: raw, count: byteCount)
        do {
            try fill(buffer)
        } catch {
            raw.deallocate()
            throw error
        }
        bytes = UnsafeRawBufferPointer(buffer)
        strings = []
        owner = nil
    }

    /// Borrows `bytes`, which stay valid as long as `owner` lives. Misaligned regions (an external-data
    /// offset that is not a multiple of the element size) are copied so typed access stays defined.
    public convenience init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject, alignment: Int) {
        if let base = bytes.baseAddress, Int(bitPattern: base) % max(alignment, 1) != 0 {
            self.init(uninitializedByteCount: bytes.count) { $0.copyMemory(from: bytes) }
        } else {
            self.init(uncheckedBorrowing: bytes, owner: owner)
        }
    }

    private init(uncheckedBorrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.strings = []
        self.owner = owner
    }

    /// Storage for a string tensor.
    public init(strings: [[UInt8]]) {
        bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        self.strings = strings
        owner = nil
    }

    deinit {
        if owner == nil {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }
}
