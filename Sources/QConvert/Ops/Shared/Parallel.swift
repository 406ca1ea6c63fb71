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

/// Threads that help the caller of `Parallel.forEach` with its chunks.
///
/// A job is open while chunks remain: a helper joins it (counted in `state`), takes chunk indices from a
/// shared counter until none is left, and leaves. Once the caller has taken the last chunk it closes the
/// job and waits only for the helpers inside it; one that wakes too late finds it closed and skips it,
/// so a helper descheduled by another process never holds the caller up unless it holds a chunk. Idle
/// helpers spin (yielding the core, which may be their caller's) for up to `spinSeconds`, then park.
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
    /// Bit 0: the job is open; the rest: twice the number of helpers inside it.
    private let state = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let callerWaiting = Atomic<Bool>(false)
    private var mutex = pthread_mutex_t()
    /// Signalled when a job starts (for parked workers) and when the last helper leaves a closed job.
    private var jobStarted = pthread_cond_t()
    private var jobFinished = pthread_cond_t()
    /// The current job, written before it opens and read only by the helpers inside it.
    private var job: (chunks: Int, body: (Int) -> Void)?

    init(size: Int) {
        self.size = max(0, size)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&jobStarted, nil)
        pthread_cond_init(&jobFinished, nil)
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

    /// Runs `chunk(0..<chunks)` with up to `helpers` workers; false (nothing run) if the pool is busy.
    func run(chunks: Int, helpers: Int, _ chunk: @escaping (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        job = (chunks, chunk)
        nextChunk.store(0, ordering: .relaxed)
        self.helpers.store(helpers, ordering: .relaxed)
        state.store(1, ordering: .releasing)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(&mutex)
            pthread_cond_broadcast(&jobStarted)
            pthread_mutex_unlock(&mutex)
        }
        take(chunks, chunk)
        if state.bitwiseAnd(~1, ordering: .acquiringAndReleasing).newValue != 0 { waitForHelpers() }
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

    /// Waits for the helpers still inside the closed job: briefly yielding the core (a helper may be
    /// waiting for it), then on `jobFinished`.
    private func waitForHelpers() {
        for _ in 0..<64 {
            if state.load(ordering: .acquiring) == 0 { return }
            sched_yield()
        }
        pthread_mutex_lock(&mutex)
        callerWaiting.store(true, ordering: .sequentiallyConsistent)
        while state.load(ordering: .sequentiallyConsistent) != 0 {
            pthread_cond_wait(&jobFinished, &mutex)
        }
        callerWaiting.store(false, ordering: .relaxed)
        pthread_mutex_unlock(&mutex)
    }

    private func work(index: Int) {
        var seen = 0
        while true {
            seen = waitForJob(after: seen)
            guard index < helpers.load(ordering: .relaxed), join() else { continue }
            help()
            if state.subtract(2, ordering: .acquiringAndReleasing).newValue == 0 && callerWaiting.load(ordering: .sequentiallyConsistent) {
                pthread_mutex_lock(&mutex)
                pthread_cond_signal(&jobFinished)
                pthread_mutex_unlock(&mutex)
            }
        }
    }

    /// Enters the current job if it is still open.
    private func join() -> Bool {
        var current = state.load(ordering: .acquiring)
        while current & 1 == 1 {
            let (exchanged, original) = state.compareExchange(expected: current, desired: current + 2, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Takes chunks of the current job. Its own function so that the job's closure is released when it
    /// returns, before the helper leaves the job.
    @inline(never)
    private func help() {
        guard let job else { return }
        take(job.chunks, job.body)
    }

    /// Spins (yielding), then parks, until `generation` moves past `seen`; returns the new generation.
    private func waitForJob(after seen: Int) -> Int {
        let deadline = OpProfile.now() + Self.spinSeconds
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            if spins % 16 == 0 {
                if OpProfile.now() > deadline { break }
                sched_yield()
            }
        }
        sleepers.add(1, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(&mutex)
        while generation.load(ordering: .sequentiallyConsistent) == seen {
            pthread_cond_wait(&jobStarted, &mutex)
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
