/// Orders titles the way people expect ("Part 2" before "Part 10", case ignored), on bytes
/// prepared once per title: Foundation's `localizedStandardCompare` was a visible cost when
/// sorting ten thousand pages.
struct NaturalSortKey: Comparable, Sendable {
    let bytes: [UInt8]

    init(_ text: String) {
        bytes = text.lowercased().utf8.map { $0 }
    }

    static func < (a: NaturalSortKey, b: NaturalSortKey) -> Bool {
        let x = a.bytes, y = b.bytes
        var i = 0, j = 0
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        while i < x.count, j < y.count {
            if isDigit(x[i]), isDigit(y[j]) {
                // Compare whole numbers: skip leading zeros, then the longer run is larger.
                while i < x.count, x[i] == 0x30 { i += 1 }
                while j < y.count, y[j] == 0x30 { j += 1 }
                var ei = i, ej = j
                while ei < x.count, isDigit(x[ei]) { ei += 1 }
                while ej < y.count, isDigit(y[ej]) { ej += 1 }
                if ei - i != ej - j { return ei - i < ej - j }
                while i < ei {
                    if x[i] != y[j] { return x[i] < y[j] }
                    i += 1
                    j += 1
                }
                continue
            }
            if x[i] != y[j] { return x[i] < y[j] }
            i += 1
            j += 1
        }
        return x.count - i < y.count - j
    }
}
