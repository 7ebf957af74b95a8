import CCurl
import Dispatch
import Foundation
import Synchronization

/// The dedicated OS threads that run blocking `curl_easy_perform` calls, off Swift's cooperative
/// pool and NIO's event loops. Each thread keeps one easy handle (and so its connection cache) for
/// its whole life.
///
/// Jobs go to the worker that most recently finished a job (LIFO), so sequential requests keep
/// landing on the thread whose connection to the host is still warm.
final class WorkerPool: Sendable {
    private struct State {
        var queue: [CurlJob] = []
        /// A job handed straight to an idle worker, per worker.
        var handoff: [CurlJob?]
        /// Idle workers, most recently idle last.
        var idle: [Int] = []
        var closed = false
        var joined = false
        /// `ObjectIdentifier` of each worker's `Thread`, to avoid joining the calling thread.
        var threadIDs: [ObjectIdentifier?]
    }

    let configuration: CurlClientConfiguration
    /// Set by ``shutdown()``; in-flight transfers poll it and abort.
    let lifecycle = TransferControl()
    private let state: Mutex<State>
    private let wakeups: [DispatchSemaphore]
    private let exits: [DispatchSemaphore]
    private let share: CurlShare

    init(configuration: CurlClientConfiguration) {
        let count = max(1, configuration.workers)
        self.configuration = configuration
        state = Mutex(State(handoff: Array(repeating: nil, count: count), threadIDs: Array(repeating: nil, count: count)))
        wakeups = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        exits = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        share = CurlShare()
    }

    /// Starts the threads (separate from `init` so the threads may capture `self`).
    func start() {
        for index in wakeups.indices {
            let thread = Thread { [self] in run(worker: index) }
            thread.name = "replayd-curl-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; returns `false` (without running it) after shutdown.
    func submit(_ job: CurlJob) -> Bool {
        let outcome = state.withLock { s -> Int?? in
            if s.closed { return .none }
            if let worker = s.idle.popLast() {
                s.handoff[worker] = job
                return .some(worker)
            }
            s.queue.append(job)
            return .some(nil)
        }
        switch outcome {
        case .none: return false
        case .some(let worker?): wakeups[worker].signal()
        case .some(nil): break
        }
        return true
    }

    /// Fails queued jobs, aborts running transfers and waits for every worker thread to exit.
    /// Idempotent; a call from a worker thread itself does not wait for that thread.
    func shutdown() {
        let current = ObjectIdentifier(Thread.current)
        let taken = state.withLock { s -> (jobs: [CurlJob], idle: [Int], join: [Int])? in
            if s.joined { return nil }
            s.joined = true
            s.closed = true
            var jobs = s.queue
            s.queue = []
            for index in s.handoff.indices {
                if let job = s.handoff[index] { jobs.append(job) }
                s.handoff[index] = nil
            }
            let idle = s.idle
            s.idle = []
            let join = s.threadIDs.indices.filter { s.threadIDs[$0] != current }
            return (jobs, idle, join)
        }
        guard let taken else { return }
        lifecycle.cancel()
        for job in taken.jobs { job.complete(.failure(CurlError.shutDown)) }
        for worker in taken.idle { wakeups[worker].signal() }
        for worker in taken.join { exits[worker].wait() }
        share.freeIfUnused(workersJoined: taken.join.count == exits.count)
    }

    private enum Claim {
        case job(CurlJob)
        case wait
        case exit
    }

    private func run(worker index: Int) {
        state.withLock { $0.threadIDs[index] = ObjectIdentifier(Thread.current) }
        do {
            let easy = EasyWorker(configuration: configuration, share: share, lifecycle: lifecycle)
            // Only the completion is kept, not the job: the request (and a body held in memory) is
            // released before the caller resumes.
            var finished: (complete: @Sendable (Result<CurlResponse, any Error>) -> Void, result: Result<CurlResponse, any Error>)?
            loop: while true {
                // Claim the next job, or register as idle, *before* completing the previous one: a
                // caller resumed by that completion and submitting its next request at once then
                // finds this worker (and its warm connection) at the top of the idle stack.
                let claim = claim(for: index, warm: finished != nil)
                if let (complete, result) = finished {
                    finished = nil
                    complete(result)
                }
                switch claim {
                case .job(let job): finished = (job.complete, easy.run(job))
                case .wait: wakeups[index].wait()
                case .exit: break loop
                }
            }
        }
        exits[index].signal()
    }

    /// Takes the next job for worker `index`, or registers it as idle: on top of the idle stack if
    /// it just ran a job (`warm`: its connections are fresh), below all others if it did not.
    private func claim(for index: Int, warm: Bool) -> Claim {
        state.withLock { s -> Claim in
            if let job = s.handoff[index] {
                s.handoff[index] = nil
                return .job(job)
            }
            if !s.queue.isEmpty { return .job(s.queue.removeFirst()) }
            if s.closed { return .exit }
            if !s.idle.contains(index) {
                if warm { s.idle.append(index) } else { s.idle.insert(index, at: 0) }
            }
            return .wait
        }
    }
}

/// The libcurl share handle of one pool (DNS and TLS-session caches, see `ccurl_share_new`).
///
/// `@unchecked Sendable`: the pointer is written only in `init` and in `freeIfUnused`, which runs
/// once (under `WorkerPool.shutdown`'s `joined` flag) after every worker thread has exited, so no
/// easy handle can use it concurrently; while workers run, libcurl serialises access to the shared
/// data through the pthread mutexes installed by `ccurl_share_new`.
final class CurlShare: @unchecked Sendable {
    private let share: OpaquePointer?

    init() {
        _ = ccurl_global_init_once()
        share = ccurl_share_new()
    }

    /// The `CURLSH *` to set with `CURLOPT_SHARE` (nil if creation failed: then nothing is shared).
    var handle: UnsafeMutableRawPointer? { share.flatMap { ccurl_share_handle($0) } }

    /// Frees the share once no easy handle can use it any more. If a worker could not be joined
    /// (shutdown called from a worker thread) it is leaked rather than freed under that worker.
    func freeIfUnused(workersJoined: Bool) {
        if workersJoined, let share { ccurl_share_free(share) }
    }
}
