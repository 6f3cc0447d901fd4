import Foundation
import TestSupport
import Testing

/// `config validate` and `config show --workload-conf` on workload.conf, through the built binary.
struct WorkloadConfCommandTests {
    private func write(_ text: String) throws -> String {
        let directory = try SettingsFixtures.temporaryDirectory("workload")
        let path = directory.appendingPathComponent("workload.conf").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private static let password = "Sup3r-secret-pw"

    @Test func validateNamesTheKeyLineAndCodeAndNeverPrintsThePassword() async throws {
        let path = try write(
            "[workload]\nworkload_name = mariadb\ncredString = -u bk -p\(Self.password)\nrole = primary\n")
        let text = try await BuiltBinary.run(["config", "validate", path])
        #expect(text.status == 1)
        #expect(
            text.stdout.contains("[workload] role (line 4): expected master or slave, found primary"), "\(text.stdout)")
        #expect(text.stdout.contains("a job would end with code 502 FailedWorkloadInvalidRole"))
        let json = try await BuiltBinary.run(["config", "validate", path, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["kind"] as? String == "workloadConf")
        #expect(report["resultCode"] as? Int == 502)
        for output in [text.stdout, text.stderr, json.stdout] {
            #expect(!output.contains(Self.password), "the password was printed")
        }
    }

    @Test func aValidFileIsSummarisedWithoutItsCredentials() async throws {
        let path = try write(
            "[workload]\nworkload_name = postgres\ncommand_path =\ncredString = -U app 'host=db password=\(Self.password)'\nlinux_user = postgres\ntimeout = 60\n"
        )
        let result = try await BuiltBinary.run(["config", "validate", path])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("engine                postgres"))
        #expect(result.stdout.contains("3 option(s), a password (passed in the client's environment)"))
        #expect(!result.stdout.contains(Self.password))
    }

    @Test func showPrintsTheDatabaseRowFromTheNamedFile() async throws {
        let path = try write(
            "[workload]\nworkload_name = mysql\nlinux_user = root\ntimeout = 45\nipc_folder = /var/ipc\n")
        let result = try await BuiltBinary.run(["config", "show", "--freeze", "off", "--workload-conf", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("workload.conf   \(path)"))
        #expect(result.stdout.contains("mysql via mysql as root: quiesce deadline 45 s, lock wait 10 s  [\(path)]"))
        #expect(result.stdout.contains("ipc_folder /var/ipc is accepted and unused"))
        let missing = try await BuiltBinary.run(["config", "show", "--workload-conf", path + ".absent"])
        #expect(missing.status == 1 && missing.stderr.contains("--workload-conf \(path).absent: no such file"))
    }

    @Test func aReplicaIsSaidToHaveItsReplicationStoppedWhileQuiesced() async throws {
        let path = try write(
            "[workload]\nworkload_name = mariadb\nlinux_user = root\nrole = slave\nenforceSlaveOnly = 1\n")
        let validate = try await BuiltBinary.run(["config", "validate", path])
        #expect(validate.status == 0, "\(validate.stdout)")
        #expect(
            validate.stdout.contains(
                "role                  slave (replication stopped while quiesced, restarted after)"))
        let show = try await BuiltBinary.run(["config", "show", "--freeze", "off", "--workload-conf", path])
        #expect(show.stdout.contains("lock wait 10 s, replica (replication stopped while quiesced)"), "\(show.stdout)")
    }
}
