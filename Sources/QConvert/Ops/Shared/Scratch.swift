/// Working memory for kernels: floats aligned to 64 bytes (a cache line, and the widest vector CKernels
/// loads), uninitialised; the caller deallocates them.
enum Scratch {
    static func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(1, count))
    }
}
