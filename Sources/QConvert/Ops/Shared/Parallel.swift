import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splitting kernel work over threads so that results never depend on the thread count.
///
/// Work is cut into fixed chunks of `grain` items whatever the number of threads, and each chunk is
/// computed entirely by one thread; threads only decide who computes which chunk. So `--threads 1`
/// and `--threads 2` give bit-identical tensors, and therefore byte-identical quantized models.
public enum Parallel {
    /// Online processors, the default number of threads.
    public static let defaultThreads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// Calls `body` on consecutive ranges of at most `grain` items covering `0..<count`, using up to
    /// `threads` threads.
    public static func forEach(count: Int, grain: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let grain = max(1, grain)
        let chunks = (count + grain - 1) / grain
        let workers = min(max(1, threads), chunks)
        if workers == 1 {
            for chunk in 0..<chunks { body(chunk * grain..<min(count, (chunk + 1) * grain)) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var chunk = worker
            while chunk < chunks {
                body(chunk * grain..<min(count, (chunk + 1) * grain))
                chunk += workers
            }
        }
    }
}
