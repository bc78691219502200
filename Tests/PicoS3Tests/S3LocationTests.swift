import Foundation
import PicoTestSupport
import Testing
@testable import PicoS3

/// Addresses and credentials resolved as the `aws` CLI resolves them.
@Suite struct S3LocationTests {
    let keys = ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"]

    @Test func pathStyleForACustomEndpointVirtualHostedForAWS() throws {
        var env = keys
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9000"
        let local = try S3Location.resolve("s3://bucket/a/b/", environment: env, home: "/nonexistent")
        #expect(local.bucket == "bucket" && local.prefix == "a/b" && local.pathStyle)
        #expect(local.target(key: local.key("x y.html")) == ("127.0.0.1:9000", "/bucket/a/b/x y.html"))
        #expect(local.description == "s3://bucket/a/b")

        let aws = try S3Location.resolve("s3://bucket", environment: keys.merging(["AWS_REGION": "eu-west-1"]) { $1 }, home: "/nonexistent")
        #expect(!aws.pathStyle && aws.endpoint.url == "https://s3.eu-west-1.amazonaws.com" && aws.prefix.isEmpty)
        #expect(aws.target(key: "index.html") == ("bucket.s3.eu-west-1.amazonaws.com", "/index.html"))
    }

    @Test func queryItemsWinOverTheEnvironment() throws {
        var env = keys
        env["AWS_ENDPOINT_URL"] = "http://wrong:1"
        env["AWS_REGION"] = "us-west-2"
        let location = try S3Location.resolve("s3://b/p?endpoint=https%3A%2F%2Fminio.example%3A9443&region=eu-central-1&addressing=virtual",
                                              environment: env, home: "/nonexistent")
        #expect(location.endpoint == .init(scheme: "https", host: "minio.example", port: 9443))
        #expect(location.region == "eu-central-1" && !location.pathStyle)
        #expect(throws: S3Error.self) { try S3Location.resolve("s3://b/p?secret=x", environment: env, home: "/nonexistent") }
    }

    @Test func profilesComeFromTheSharedFiles() throws {
        let home = TemporaryFolder()
        _ = home.write([
            ".aws/credentials": "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n\n[work]\naws_access_key_id=AKIAWORK\naws_secret_access_key=work-secret\naws_session_token = tok\n",
            ".aws/config": "[profile work]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:7000\n",
        ])
        let work = try S3Location.resolve("s3://b", environment: ["AWS_PROFILE": "work"], home: home.url.path)
        #expect(work.credentials.accessKeyID == "AKIAWORK" && work.credentials.sessionToken == "tok")
        #expect(work.region == "ap-south-1" && work.endpoint.url == "http://127.0.0.1:7000")
        let fallback = try S3Location.resolve("s3://b", environment: [:], home: home.url.path)
        #expect(fallback.credentials.accessKeyID == "AKIADEFAULT" && fallback.region == "us-east-1")
        let named = try S3Location.resolve("s3://b?profile=work", environment: keys, home: home.url.path)
        #expect(named.credentials.accessKeyID == "AKIAWORK")
    }

    @Test func missingCredentialsSayWhatToSet() {
        #expect {
            try S3Location.resolve("s3://b", environment: [:], home: "/nonexistent")
        } throws: { error in
            "\(error)".contains("AWS_ACCESS_KEY_ID") && "\(error)".contains("AWS_PROFILE")
        }
    }

    @Test func credentialsNeverShowTheirSecrets() {
        let credentials = S3Credentials(accessKeyID: "AKIAABCDEFGH", secretAccessKey: "very-secret", sessionToken: "token-secret")
        let shown = "\(credentials) \(String(describing: credentials))"
        #expect(!shown.contains("very-secret") && !shown.contains("token-secret") && !shown.contains("ABCDEFGH"))
    }

    @Test func badAddressesAreRefusedClearly() {
        for address in ["s3://", "s3:///prefix", "s3://Upper/x"] {
            #expect(throws: S3Error.self, "\(address)") { try S3Location.resolve(address, environment: keys, home: "/nonexistent") }
        }
    }

    @Test func s3ErrorXMLIsRead() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The bucket &amp; &#233;</Message></Error>"
        #expect(XMLText.first("Code", in: xml) == "NoSuchBucket")
        #expect(XMLText.first("Message", in: xml) == "The bucket & é")
        #expect(XMLText.decode("a & b") == "a & b")
    }
}
