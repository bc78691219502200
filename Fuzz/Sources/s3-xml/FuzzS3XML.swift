// Feeds one S3 response body to the XML readers pico uses: the ListObjectsV2 listing (as
// S3Client.listObjects reads each page), a multipart upload's UploadId, and the
// `<Error><Code>…</Code><Message>…</Message></Error>` answer for every status class.
import Foundation
@testable import PicoS3

let location = S3Location(bucket: "fuzz", prefix: "site", endpoint: .init(scheme: "http", host: "127.0.0.1", port: 9000),
                          region: "us-east-1", pathStyle: true,
                          credentials: S3Credentials(accessKeyID: "AKIAFUZZ", secretAccessKey: "fuzz-secret"))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: start, count: count))
    let xml = String(decoding: body, as: UTF8.self)

    // One listing page, read as listObjects reads it.
    var objects: [S3Client.ListedObject] = []
    for block in XMLText.blocks("Contents", in: xml) {
        let text = String(block)
        guard let key = XMLText.first("Key", in: text) else { continue }
        objects.append(S3Client.ListedObject(key: key, size: Int(XMLText.first("Size", in: text) ?? "") ?? 0))
    }
    _ = XMLText.first("IsTruncated", in: xml) == "true" ? XMLText.first("NextContinuationToken", in: xml) : nil
    _ = XMLText.first("UploadId", in: xml)
    _ = XMLText.all("Key", in: xml)
    for object in objects { _ = XMLText.escape(object.key) }

    for status in [400, 403, 404, 500] {
        let error = S3Error.fromResponse(status: status, body: body, method: "GET", key: "site/index.html", location: location)
        precondition(!error.description.contains("fuzz-secret"), "an S3 error message printed the secret key")
    }
    return 0
}
