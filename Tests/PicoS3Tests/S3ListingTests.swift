import Foundation
@testable import PicoS3
import Testing

/// ListObjectsV2 pages as pico reads them: keys as bytes, URL-encoded or not (issue 12, points 11 and 17).
@Suite struct S3ListingTests {
    static func page(_ keys: [String], encoded: Bool, truncated: Bool = false, token: String? = nil) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name>"
            + "<IsTruncated>\(truncated)</IsTruncated>" + (token.map { "<NextContinuationToken>\($0)</NextContinuationToken>" } ?? "")
            + keys.map { "<Contents><Key>\($0)</Key><Size>3</Size></Contents>" }.joined()
            + (encoded ? "<EncodingType>url</EncodingType>" : "") + "</ListBucketResult>"
    }

    @Test func urlEncodedKeysAreDecodedToTheirExactBytes() {
        let parsed = S3Client.ListingPage.parse(Self.page(["blog/caf%C3%A9.html", "blog/cafe%CC%81.html", "blog/bad%FF.html",
                                                            "blog/a+b%2B.html", "blog/bell%07.html"], encoded: true))
        let keys = parsed.objects.map(\.keyBytes)
        #expect(keys[0] == Array("blog/caf\u{E9}.html".utf8))
        #expect(keys[1] == Array("blog/cafe\u{301}.html".utf8))
        #expect(keys[0] != keys[1], "NFC and NFD stay two keys, though Swift's == calls them equal")
        #expect("blog/caf\u{E9}.html" == "blog/cafe\u{301}.html")
        #expect(keys[2] == Array("blog/bad".utf8) + [0xFF] + Array(".html".utf8))
        #expect(!parsed.objects[2].isValidUTF8 && parsed.objects[0].isValidUTF8)
        #expect(keys[3] == Array("blog/a b+.html".utf8), "+ is a space, %2B a plus, as S3 encodes them")
        #expect(keys[4] == Array("blog/bell\u{7}.html".utf8))
        #expect(parsed.objects.allSatisfy { $0.size == 3 } && !parsed.isTruncated)
    }

    @Test func withoutEncodingTypeTheKeyIsTheXMLText() {
        let parsed = S3Client.ListingPage.parse(Self.page(["blog/a+b%41&amp;.html"], encoded: false, truncated: true, token: "t1"))
        #expect(parsed.objects.map(\.key) == ["blog/a+b%41&.html"])
        #expect(parsed.isTruncated && parsed.nextToken == "t1")
    }
}
