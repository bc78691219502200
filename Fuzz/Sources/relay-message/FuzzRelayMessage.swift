// Feeds one WebSocket text frame from a relay to RelayMessage.parse (EVENT, OK, EOSE, CLOSED,
// NOTICE, anything else).
import Foundation
import PicoNostr

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    // A text frame is UTF-8; the WebSocket client repairs nothing, so neither do we.
    guard let text = String(data: Data(bytes: start, count: count), encoding: .utf8) else { return 0 }
    if case .event(_, let event) = RelayMessage.parse(text) {
        _ = event.validity
    }
    return 0
}
