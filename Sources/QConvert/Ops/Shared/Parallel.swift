import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Splitting kernel work over threads so that results never depend on the thread count.
///
/// Work is cut into fixed chunks of `grain` items whatever the number of threads, and each chunk is
/// computed entirely by one thread; threads only decide who computes which chunk. So `--threads 1`
/// and `--threads 2` give bit-identical tensors, and therefore byte-identical quantized models.
///
/// Why a pool of our own rather than `DispatchQueue.concurrentPerform`: a model runs hundreds of
/// kernels of tens of microseconds each, and waking a parked libdispatch worker for every one costs
/// about 40 µs on a 2-core VM, more than the work it shares. The pool's workers spin for a short
/// while after each job before they park, as ONNX Runtime's do, so back-to-back kernels find them awake.
public enum Parallel {
    /// Online processors, the default number of threads.
    public static let defaultThreads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// Calls `body` on consecutive ranges of at most `grain` items covering `0..<count`, using up to
    /// `threads` threads (the calling one included).
    public static func forEach(count: Int, grain: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let grain = max(1, grain)
        let chunks = (count + grain - 1) / grain
        let helpers = min(max(1, threads), chunks, WorkerPool.shared.size + 1) - 1
        withoutActuallyEscaping(body) { body in
            let chunk = { (index: Int) in body(index * grain..<min(count, (index + 1) * grain)) }
            if helpers == 0 || !WorkerPool.shared.run(chunks: chunks, helpers: helpers, chunk) {
                for index in 0..<chunks { chunk(index) }
            }
        }
    }
}

/// Threads that help the caller of `Parallel.forEach` with its chunks: they take chunk indices from a
/// shared counter until none is left, then spin for up to `spinSeconds` waiting for the next job
/// before parking on a condition variable.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(size: Parallel.defaultThreads - 1)
    static let spinSeconds = 0.000_2

    let size: Int
    /// Bumped for every job; workers compare it with the last one they saw.
    private let generation = Atomic<Int>(0)
    /// Set while a job runs: a second, concurrent or nested caller then runs its chunks alone.
    private let busy = Atomic<Bool>(false)
    private let nextChunk = Atomic<Int>(0)
    /// Helpers the current job asked for (workers with a lower index take part).
    private let helpers = Atomic<Int>(0)
    /// Helpers of the current job that have not finished it yet.
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    /// The current job, written before `generation` is bumped and read only by its helpers, after
    /// seeing the bump and before decrementing `pending`.
    private var job: (chunks: Int, body: (Int) -> Void)?

    init(size: Int) {
        self.size = max(0, size)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for index in 0..<self.size {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(WorkerStart(pool: self, index: index)).toOpaque()
            pthread_create(&thread, nil, { context in
                let start = Unmanaged<WorkerStart>.fromOpaque(context!).takeRetainedValue()
                start.pool.work(index: start.index)
                return nil
            }, context)
            pthread_detach(thread)
        }
    }

    /// Runs `chunk(0..<chunks)` with `helpers` workers; false (nothing run) if the pool is busy.
    func run(chunks: Int, helpers: Int, _ chunk: @escaping (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        job = (chunks, chunk)
        nextChunk.store(0, ordering: .relaxed)
        self.helpers.store(helpers, ordering: .relaxed)
        pending.store(helpers, ordering: .relaxed)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&condition)
            pthread_mutex_unlock(&mutex)
        }
        take(chunks, chunk)
        var spins = 0
        while pending.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins % 1024 == 0 { sched_yield() }  // a helper may be waiting for a core
        }
        job = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    private func take(_ chunks: Int, _ chunk: (Int) -> Void) {
        while true {
            let index = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < chunks else { return }
            chunk(index)
        }
    }

    private func work(index: Int) {
        var seen = 0
        while true {
            seen = waitForJob(after: seen)
            guard index < helpers.load(ordering: .relaxed) else { continue }
            help()
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Takes chunks of the current job. Its own function so that the job's closure is released when it
    /// returns, before `pending` tells the caller the job is over.
    @inline(never)
    private func help() {
        guard let job else { return }
        take(job.chunks, job.body)
    }

    /// Spins, then parks, until `generation` moves past `seen`; returns the new generation.
    private func waitForJob(after seen: Int) -> Int {
        let deadline = OpProfile.now() + Self.spinSeconds
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            if spins % 256 == 0 && OpProfile.now() > deadline { break }
        }
        sleepers.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        while generation.load(ordering: .sequentiallyConsistent) == seen {
            pthread_cond_wait(&condition, &mutex)
        }
        pthread_mutex_unlock(&mutex)
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        return generation.load(ordering: .acquiring)
    }
}

/// What a worker thread starts with.
private final class WorkerStart {
    let pool: WorkerPool
    let index: Int

    init(pool: WorkerPool, index: Int) {
        self.pool = pool
        self.index = index
    }
}
