import Core
import Foundation
import Testing

@testable import Basics
@testable import Engine
@testable import Monitoring

@Suite struct SASBlobURITests {
    let seed =
        "https://sopattna8461.blob.core.windows.net/vhds/vmwin1404ltsc-20160629-122418.vhd?sv=2014-02-14&sr=b&sig=5S0A6YDWvVwqPAkzWXVy%2BS%2FqMwzFMbamT5upwx05v8Q%3D&st=2017-11-09T14%3A23%3A28Z&se=2017-11-09T17%3A38%3A28Z&sp=rw"

    @Test func parsesAzureHostStyleKeepingQueryVerbatim() throws {
        let uri = try SASBlobURI(seed)
        #expect(uri.account == "sopattna8461")
        #expect(uri.container == "vhds")
        #expect(uri.blob == "vmwin1404ltsc-20160629-122418.vhd")
        #expect(uri.version == "2014-02-14")
        #expect(uri.permissions == "rw")
        #expect(uri.parameters["sig"] == "5S0A6YDWvVwqPAkzWXVy+S/qMwzFMbamT5upwx05v8Q=")
        #expect(uri.requestURI(appending: "comp=snapshot") == seed + "&comp=snapshot")
        #expect(uri.blobURI == "https://sopattna8461.blob.core.windows.net/vhds/vmwin1404ltsc-20160629-122418.vhd")
        #expect(!uri.redacted.contains("5S0A6"))
        #expect(uri.expiry != nil && uri.start! < uri.expiry!)
    }

    @Test func parsesEmulatorPathStyle() throws {
        let uri = try SASBlobURI("http://127.0.0.1:10000/devstoreaccount1/vhds/dir/disk0.vhd?sv=2020-12-06&sig=x")
        #expect(uri.account == "devstoreaccount1")
        #expect(uri.container == "vhds")
        #expect(uri.blob == "dir/disk0.vhd")
        #expect(uri.port == 10000)
        #expect(uri.isLoopback)
        #expect(uri.blobURI == "http://127.0.0.1:10000/devstoreaccount1/vhds/dir/disk0.vhd")
    }

    @Test func rejectsMalformed() {
        #expect(throws: SASURIError.self) { try SASBlobURI("ftp://a/b/c") }
        #expect(throws: SASURIError.self) { try SASBlobURI("https://a.blob.core.windows.net/onlycontainer?sig=1") }
        #expect(throws: SASURIError.self) { try SASBlobURI("nonsense") }
    }

    @Test func aLoopbackURIThatIsNotPathStyleIsExplained() throws {
        // The account-in-the-host form on an address: the account is missing from the path.
        let noAccount = try #require(throws: SASURIError.self) {
            try SASBlobURI("http://127.0.0.1:10000/vhds/disk0?sv=2014-02-14&sig=SECRET")
        }
        #expect(
            noAccount
                == .notPathStyle(host: "127.0.0.1", uri: "http://127.0.0.1:10000/vhds/disk0")
        )
        #expect(
            noAccount.description
                == "'http://127.0.0.1:10000/vhds/disk0', a URI on the local host 127.0.0.1 "
                + "that is not path-style: on 127.0.0.1, ::1 or localhost the path names the account first "
                + "(http://127.0.0.1:PORT/ACCOUNT/CONTAINER/BLOB)")
        // A loopback name that is not one of the path-style hosts.
        for uri in ["https://127.1/acct/vhds/disk0?sig=X", "http://localhost.localdomain:8080/acct/vhds/d?sig=X"] {
            let error = try #require(throws: SASURIError.self) { try SASBlobURI(uri) }
            guard case .notPathStyle = error else {
                Issue.record("\(uri): \(String(describing: error))")
                continue
            }
            #expect(!error.description.contains("sig=") && !error.description.contains("?"), "no query is echoed")
        }
        #expect(throws: Never.self) { try SASBlobURI("http://localhost:10000/acct/vhds/dir/disk0?sig=X") }
    }
}

@Suite struct SASDateTests {
    static let forms: [(String, Date?)] = [
        ("2017-11-09T14:23:28Z", Date(timeIntervalSince1970: 1_510_237_408)),
        ("2017-11-09T14:23:28.250Z", Date(timeIntervalSince1970: 1_510_237_408.25)),
        ("2017-11-09", Date(timeIntervalSince1970: 1_510_185_600)),
        ("2017-11-09T15:23:28+01:00", Date(timeIntervalSince1970: 1_510_237_408)),
        ("2017-11-09T14:23:28", nil),
        ("soon", nil),
    ]

    @Test func everyFormParsesTheSameFromManyTasksAtOnce() async {
        let mismatches = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<200).flatMap { _ in
                        Self.forms.compactMap { text, expected in
                            SASBlobURI.parseSASDate(text) == expected ? nil : text
                        }
                    }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) wrong parses, e.g. \(mismatches.first ?? "")")
    }

    @Test func startAndExpiryAreReadFromTheQuery() throws {
        let uri = try SASBlobURI(
            "https://a.blob.core.windows.net/c/b?st=2017-11-09&se=2017-11-09T14%3A23%3A28.250Z&sig=x")
        #expect(uri.start == Date(timeIntervalSince1970: 1_510_185_600))
        #expect(uri.expiry == Date(timeIntervalSince1970: 1_510_237_408.25))
        #expect(try SASBlobURI("https://a.blob.core.windows.net/c/b?se=never&sig=x").expiry == nil)
    }
}
