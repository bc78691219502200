// Feeds bytes to the CSS reference scanner (`url(...)`, `@import`): as a style sheet, as a
// range of a larger document (a <style> element), and as a quoted `style` attribute.
import PicoHTML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let scans: [(Range<Int>?, URLReference.Quote?)] = [(nil, nil), ((count / 3)..<(count - count / 3), nil), (nil, .double)]
    for (range, quote) in scans {
        let scanned = range ?? 0..<count
        for reference in CSSReferenceScanner.references(in: bytes, range: range, attributeQuote: quote) {
            precondition(reference.range.lowerBound >= scanned.lowerBound && reference.range.upperBound <= scanned.upperBound,
                         "reference range \(reference.range) outside the scanned \(scanned)")
            _ = reference.encoded(reference.value + "?v=1")
        }
    }
    return 0
}
