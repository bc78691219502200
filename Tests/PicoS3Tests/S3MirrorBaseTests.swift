import Foundation
@testable import PicoS3
import Testing

/// The `mirror` tag an S3 target gives the name's record (issue 16 point 1).
@Suite struct S3MirrorBaseTests {
    static let keys = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"]

    @Test func publicGivesItsURLAndALocalPathStyleEndpointItsOwn() throws {
        let published = try S3Location.resolve("s3://sites/blog?public=https://blog.example.org", environment: Self.keys, home: "/nonexistent")
        #expect(published.mirrorBase == "https://blog.example.org/")
        #expect(published.description == "s3://sites/blog")
        let moto = try S3Location.resolve("s3://sites/a b/blog?endpoint=http://127.0.0.1:9000", environment: Self.keys, home: "/nonexistent")
        #expect(moto.mirrorBase == "http://127.0.0.1:9000/sites/a%20b/blog/")
        let root = try S3Location.resolve("s3://sites", environment: Self.keys.merging(["AWS_ENDPOINT_URL": "http://localhost:9000"]) { $1 }, home: "/nonexistent")
        #expect(root.mirrorBase == "http://localhost:9000/sites/")
    }

    @Test func awsAndRemoteEndpointsGiveNoneWithoutPublic() throws {
        #expect(try S3Location.resolve("s3://sites/blog", environment: Self.keys, home: "/nonexistent").mirrorBase == nil)
        #expect(try S3Location.resolve("s3://sites/blog?endpoint=https://minio.example", environment: Self.keys, home: "/nonexistent").mirrorBase == nil)
    }

    @Test func aPublicThatIsNoBaseURLIsRefused() {
        for bad in ["ftp://x.example/", "https://x.example/?a=1", "https://user@x.example/", "blog"] {
            #expect(throws: S3Error.self, "\(bad)") {
                try S3Location.resolve("s3://sites/blog?public=" + (bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? bad),
                                       environment: Self.keys, home: "/nonexistent")
            }
        }
    }
}
