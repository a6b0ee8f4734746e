import Foundation
import QuantCore
import Terminal

/// Ctrl-C for a batch command that works tensor after tensor: the first press asks it to stop after
/// the tensor in hand (the command polls `SignalGuard.interruptCount`), the second cancels that
/// tensor at its next chunk through the returned token. Cancel the token when the work is done, which
/// also ends the watcher.
enum BatchInterrupts {
    static func start() -> Cancellation {
        SignalGuard.countInterrupts(firstMessage: "\nqscope: stopping after this tensor (Ctrl-C again to stop now)\n")
        let cancellation = Cancellation()
        let watcher = Thread {
            while !cancellation.isCancelled {
                if SignalGuard.interruptCount >= 2 { cancellation.cancel(); return }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        watcher.start()
        return cancellation
    }
}
