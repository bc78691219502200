import Foundation
import PicoHTML
import Testing

/// Where the build puts its page script and `pico serve` its `<base>`: found by bytes, with no
/// other byte of the page touched.
@Suite struct HTMLHeadTests {
    func offsets(_ page: String) -> (start: Int, end: Int) {
        let bytes = Array(page.utf8)
        return (HTMLHead.startOffset(in: bytes), HTMLHead.endOffset(in: bytes))
    }

    @Test func theHeadIsFoundIgnoringCaseAndAttributes() {
        let page = "<!DOCTYPE html><HTML><Head lang=en><title>t</title></HEAD><body></body>"
        let (start, end) = offsets(page)
        #expect(Array(page.utf8)[..<start].count == "<!DOCTYPE html><HTML><Head lang=en>".utf8.count)
        #expect(end == "<!DOCTYPE html><HTML><Head lang=en><title>t</title>".utf8.count)
    }

    @Test func aHeaderIsNotAHead() {
        let page = "<!doctype html><body><header>h</header></body>"
        #expect(offsets(page) == ("<!doctype html>".utf8.count, "<!doctype html>".utf8.count))
    }

    @Test func withoutHeadOrDoctypeTheStartIsZero() {
        #expect(offsets("<p>just a fragment</p>") == (0, 0))
        #expect(offsets("") == (0, 0))
    }

    @Test func insertingKeepsEveryOtherByte() {
        let page = Array("<html><head></head><body>é</body></html>".utf8)
        let out = HTMLHead.inserting("<base href=\"/\">", at: HTMLHead.startOffset(in: page), into: page)
        #expect(String(decoding: out, as: UTF8.self) == "<html><head><base href=\"/\"></head><body>é</body></html>")
    }
}
