import Basics

/// Who we are to the guest agent and the backup service: the handler name and version we report.
public enum ExtensionIdentity {
    /// The handler name the agent and the backup service know.
    public static let name = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
    /// vmsnap's version, reported as `extensionVersion` and in the User-Agent.
    public static let version = "1.0.0"
}
