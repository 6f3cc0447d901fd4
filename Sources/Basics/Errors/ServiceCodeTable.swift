/// The service-side codes an operator sees (Azure Backup troubleshooting guide) and what to do about them.
enum ServiceCodeTable {
    static let entries: [ErrorCatalog.Entry] = [
        (
            "UserErrorGuestAgentStatusUnavailable", "the VM agent cannot talk to the backup service",
            "check the agent is running and Ready; restart or update it"
        ),
        (
            "GuestAgentSnapshotTaskStatusError", "snapshot status could not be read from the agent",
            "agent settings `Extensions.Enable=y`, `Provisioning.Agent=auto` in /etc/waagent.conf"
        ),
        (
            "ExtensionSnapshotFailedNoNetwork", "the VM has no network path to storage",
            "check outbound 443 to the storage endpoints, proxy, NSG, DNS"
        ),
        (
            "ExtensionOperationFailedForManagedDisks", "the snapshot extension operation failed",
            "read the extension log; check agent and network"
        ),
        (
            "ExtensionFailedSnapshotLimitReachedError", "a disk reached its snapshot limit",
            "delete unneeded blob snapshots (not disks)"
        ),
        (
            "ExtensionFailedTimeoutVMNetworkUnresponsive", "the VM is too loaded to answer in time",
            "reduce load, larger VM size"
        ),
        (
            "UserErrorFsFreezeFailed", "one or more mount points failed to freeze",
            "unmount/fsck/remount the filesystem, or skip it (MountsToSkip); check duplicate mounts"
        ),
        (
            "UserErrorVmNotInDesirableState", "VM in a failed state",
            "wait for Running/Stopped; with SELinux allow the agent's folder"
        ),
        ("UserErrorBackupOperationInProgress", "another backup is running", "wait or cancel it"),
        (
            "UserErrorRpCollectionLimitReached", "too many restore points (18) in the collection",
            "remove the lock on the restore-point resource group; clean up"
        ),
        ("UserErrorUnsupportedDiskSize", "disk larger than supported", "exclude the disk"),
        ("BackUpOperationFailed", "internal error", "retry later"),
        ("BackUpOperationFailedV2", "internal error", "retry later"),
        ("UserErrorCrpReportedUserError", "error reported from the VM", "see the job's error details"),
        ("UserErrorBcmDatasourceNotPresent", "VM not actively protected", "resume protection"),
        (
            "UserErrorKeyvaultPermissionsNotConfigured", "missing Key Vault permissions for encrypted VMs",
            "grant them"
        ),
        (
            "UserErrorRequestDisallowedByPolicy", "an Azure Policy denies the snapshot",
            "change Deny to Modify or pre-create the resource group"
        ),
    ].map { ErrorCatalog.Entry(code: nil, name: $0.0, meaning: $0.1, health: nil, suggestedAction: $0.2) }
}
