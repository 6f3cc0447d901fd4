import Foundation

/// Status documents under Tests/Fixtures/StatusDocuments: the peer's real captures and ours.
public enum StatusDocumentFixtures {
    /// The peer's status file (wraps the blob document in substatus[0].name).
    public static let peerStatusFile = "peer-0.status-success"
    /// The peer's status blob (string codes, `\/Date(ms)\/`).
    public static let peerStatusBlob = "peer-statusblob-success.json"
    public static let success = "vmsnap-success.json"
    public static let partialFailure = "vmsnap-partial-failure.json"
    public static let stuckAtCode4 = "vmsnap-stuck-code4.json"
    public static let freezeFailure = "vmsnap-freeze-failure.json"
    /// A successful job that ran with freezing off (its freeze and thaw stage records are `skipped`).
    public static let skippedFreeze = "vmsnap-skipped-freeze.json"
    /// Shaped like the peer's: status word `success` with code `4`, written days before the goldens' clock (the
    /// peer writes this while a job runs and leaves it when it crashes).
    public static let peerSuccessWordAtCode4 = "peer-success-code4-days-old.json"
    /// Shaped like the peer's: status word `success`, code 76 with health 761, a failed disk with `blobUri: null`.
    public static let peerPartialWithUnnamedDisk = "peer-partial-blob-null.json"
    /// Shaped like the peer's: a freeze failure, code 121 with health status code 761.
    public static let peerFreezeFailure = "peer-freeze-121-health-761.json"
    /// Every fixture, peer first.
    public static let all = [
        peerStatusFile, peerStatusBlob, peerSuccessWordAtCode4, peerPartialWithUnnamedDisk, peerFreezeFailure,
        success, partialFailure, stuckAtCode4, freezeFailure, skippedFreeze,
    ]

    /// The folder holding the fixtures.
    public static var directory: URL {
        BuiltBinary.packageRoot.appendingPathComponent("Tests/Fixtures/StatusDocuments")
    }

    /// A fixture's bytes.
    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }
}
