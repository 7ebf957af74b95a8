import Synchronization

/// A cancellation flag shared between the task that waits for a transfer and the worker thread
/// that runs it (whose progress callback polls it and aborts the transfer). The pool also owns one
/// that ``CurlClient/shutdown()`` sets.
final class TransferControl: Sendable {
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    func cancel() { cancelled.store(true, ordering: .releasing) }
}
