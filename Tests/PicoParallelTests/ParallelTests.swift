import Dispatch
import Foundation
import Testing
import PicoParallel

@Suite struct ParallelTests {
    @Test func mapKeepsTheOrderOfItsItems() {
        let squares = Parallel.map(Array(0..<1_000)) { $0 * $0 }
        #expect(squares == (0..<1_000).map { $0 * $0 })
    }

    /// `first` waits for a signal that only `second` gives: run one after the other, it would
    /// time out and report false.
    @Test func bothRunsItsTwoStagesAtOnce() {
        let signal = DispatchSemaphore(value: 0)
        let (heard, sent) = Parallel.both({ signal.wait(timeout: .now() + 10) == .success }, {
            signal.signal()
            return "sent"
        })
        #expect(heard)
        #expect(sent == "sent")
    }

    /// A `map` inside `second` runs on the caller's thread, not inside another `map`'s worker,
    /// so its items still run at once: two items that each wait for the other finish.
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount > 1, "needs two cores"))
    func aMapInsideBothStillSpreadsOverThreads() {
        let signals = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
        let (_, met) = Parallel.both({ 0 }, {
            Parallel.map([0, 1]) { item -> Bool in
                signals[1 - item].signal()
                return signals[item].wait(timeout: .now() + 10) == .success
            }
        })
        #expect(met == [true, true])
    }
}
