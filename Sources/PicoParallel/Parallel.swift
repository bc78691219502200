import Dispatch
import Synchronization

/// CPU-bound work spread over every core, results in input order. The build and verify
/// pipelines are maps over thousands of independent files; this is their one loop.
public enum Parallel {
    public static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        if items.count < 2 { return items.map(transform) }
        let slots = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        let shared = SlotBuffer(slots: slots)
        DispatchQueue.concurrentPerform(iterations: items.count) { index in
            // Each index is written by exactly one iteration, so no two threads share a slot.
            shared.slots[index] = transform(items[index])
        }
        return slots.map { $0! }
    }

    /// `first` and `second` at once: two stages that need each other's results only at the
    /// end (the search index's term table and its document shards). `first` runs on a thread
    /// of its own and `second` on the caller's, so that a `map` inside either still spreads
    /// over every core (one inside `concurrentPerform` would run on its thread alone).
    public static func both<A: Sendable, B: Sendable>(_ first: @escaping @Sendable () -> A, _ second: () -> B) -> (A, B) {
        let handoff = Handoff<A>()
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            let a = first()
            handoff.value.withLock { $0 = a }
        }
        let b = second()
        done.wait()
        guard let a = handoff.value.withLock({ $0.take() }) else { preconditionFailure("the group ends after first() has returned") }
        return (a, b)
    }

    /// Runs `body` for every item, at most `limit` at once (I/O-bound work: uploads,
    /// downloads). The first error cancels the rest and is thrown.
    public static func forEach<T: Sendable>(_ items: [T], limit: Int,
                                            _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < items.count, next < limit {
                let item = items[next]
                group.addTask { try await body(item) }
                next += 1
            }
            while try await group.next() != nil {
                if next < items.count {
                    let item = items[next]
                    group.addTask { try await body(item) }
                    next += 1
                }
            }
        }
    }

    /// Drops `value` on another thread. A build's last references to its pages, plans and
    /// contexts (tens of thousands of objects) took 0.15 s to free once the bundle was already
    /// written; callers hand them over with `consume`, so that the last release happens there.
    public static func releaseInBackground<T>(_ value: consuming T) {
        let box = ReleasedLater(value)
        DispatchQueue.global(qos: .utility).async { box.drop() }
    }

    /// Like `map`, but collects every error rather than stopping at the first.
    public static func map<T: Sendable, R: Sendable>(
        _ items: [T], throwing transform: @Sendable (T) throws -> R
    ) -> [Result<R, any Error>] {
        map(items) { item in Result { try transform(item) } }
    }
}

/// What `both` hands from its other thread to the caller.
private final class Handoff<A: Sendable>: Sendable {
    let value = Mutex<A?>(nil)
}

private struct SlotBuffer<R>: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<R?>
}

/// What `releaseInBackground` holds until its thread lets it go; nothing reads it.
private final class ReleasedLater<T>: @unchecked Sendable {
    private var value: T?
    init(_ value: consuming T) { self.value = value }
    func drop() { value = nil }
}
