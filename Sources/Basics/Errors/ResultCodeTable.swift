/// The extension result codes of error-codes.md (the open-source Linux snapshot extension's numbering).
enum ResultCodeTable {
    typealias Entry = ErrorCatalog.Entry

    private static let scriptAction =
        "check /etc/azure/VMSnapshotScriptPluginConfig.json and the pre/post scripts (path, owner root, mode 700, "
        + "exit status, timeoutInSeconds); see the extension log"
    private static let workloadAction =
        "check the database workload configuration (workload.conf), its credentials and the database state; see "
        + "the extension log"

    private static func code(
        _ code: Int, _ name: String, _ meaning: String, _ health: ErrorCatalog.Health, _ action: String
    )
        -> Entry
    {
        Entry(code: code, name: name, meaning: meaning, health: health, suggestedAction: action)
    }

    static let entries: [Entry] =
        [
            code(
                0, "success_appconsistent",
                "application-consistent snapshot (pre/post scripts ran clean, filesystems frozen)", .green,
                "nothing to do"),
            code(1, "success", "filesystem-consistent snapshot", .green, "nothing to do"),
            code(
                2, "error", "unexpected failure, thaw reported inconsistency, or the freeze guard could not sleep",
                .green, "read the extension log for the failure; retry the backup"),
            code(
                3, "SuccessAlreadyProcessedInput", "same taskId seen before: nothing done", .green,
                "nothing to do (the agent re-ran enable for a job already handled)"),
            code(
                4, "ExtensionTempTerminalState", "job accepted and running (transitional)", .green,
                "wait for a terminal status; if it stays, check the extension process and its log"),
            code(
                11, "error_parameter", "bad command or missing/invalid settings", .yellow,
                "run `vmsnap config validate` on the settings; the error names the file, JSON path and expectation"),
            code(
                12, "error_12", "a file needed during enable was missing", .green,
                "check the plugin directory (HandlerEnvironment.json, config/, status/) and reinstall the extension"),
            code(
                15, "error_http_failure", "HTTP layer failure", .red,
                "check outbound 443 to the storage endpoints, proxy, DNS and the SAS URIs' expiry"),
            code(
                16, "FailedHandlerGuestAgentCertificateNotFound",
                "protected settings could not be decrypted (certificate missing)", .yellow,
                "check /var/lib/waagent/<THUMBPRINT>.crt and .prv exist; restart the guest agent to refetch them"),
            code(
                17, "FailedInvalidDataDiskLunList", "invalid data-disk LUN list", .green,
                "check includedDisks.dataDiskLunList in the backup policy's disk exclusion settings"),
            code(
                76, "FailedRetryableSnapshotFailedNoNetwork", "no blob given, or every disk's snapshot failed", .red,
                "check outbound 443 to the storage endpoints (proxy, NSG, DNS); read the per-disk errors"),
            code(
                761, "FailedRetryableSnapshotFailedRestrictedNetwork",
                "some disks' snapshots failed (the status code stays 76; 761 appears as vmHealthStatusCode)", .red,
                "check network access to each failed disk's storage account; read the per-disk errors"),
            code(
                85, "FailedSnapshotLimitReached",
                "storage answered \"The snapshot count against this blob has been exceeded\"", .red,
                "delete unneeded blob snapshots of the disk (not the disks themselves)"),
            code(
                173, "FailedRetryableSnapshotRateExceeded",
                "storage answered \"The rate of snapshot blob calls is exceeded\"", .green,
                "retry later; avoid other tools snapshotting the same blobs"),
            code(
                556, "FailedHostSnapshotRemoteServerError",
                "the WireServer answered the host snapshot with HTTP 500 but its backup host service is not running",
                .red, "retry the backup; if it persists, restart the VM's guest agent or redeploy the VM"),
            code(
                121, "FailedRetryableFsFreezeFailed", "freezing a filesystem failed", .yellow,
                "unmount, fsck and remount the filesystem, or add it to mountsToSkip; check duplicate mounts"),
            code(
                122, "FailedRetryableFsFreezeTimeout", "the freeze did not complete in time", .yellow,
                "reduce write load during the backup window or raise freezeTimeoutSeconds"),
            code(
                123, "FailedRetryableUnableToOpenMount", "a mount point could not be opened for freezing", .yellow,
                "check the mount point is reachable (stale network mounts); add it to mountsToSkip"),
            code(
                124, "FailedSafeFreezeBinaryNotFound", "the freeze helper is missing", .yellow,
                "reinstall vmsnap (the freeze guard is the `vmsnap freeze-guard` subcommand)"),
        ] + scriptEntries + [
            code(
                402, "FailedGuestAgentInvokedCommandTooLate",
                "the command arrived more than 140 minutes after commandStartTimeUTCTicks", .red,
                "check the guest agent is running and Ready and the VM clock is right; the service will retry")
        ] + workloadEntries

    private static let scriptEntries: [Entry] = [
        (300, "FailedPrepostPreScriptFailed", "pre-script exited non-zero"),
        (301, "FailedPrepostPostScriptFailed", "post-script exited non-zero"),
        (302, "FailedPrepostPreScriptNotFound", "pre-script missing"),
        (303, "FailedPrepostPostScriptNotFound", "post-script missing"),
        (304, "FailedPrepostPluginhostConfigParsing", "plugin host config unreadable"),
        (305, "FailedPrepostPluginConfigParsing", "VMSnapshotScriptPluginConfig.json unreadable"),
        (306, "FailedPrepostPreScriptPermissionError", "pre-script has unsafe permissions"),
        (307, "FailedPrepostPostScriptPermissionError", "post-script has unsafe permissions"),
        (308, "FailedPrepostPreScriptTimeout", "pre-script exceeded timeoutInSeconds"),
        (309, "FailedPrepostPostScriptTimeout", "post-script exceeded timeoutInSeconds"),
        (310, "FailedPrepostPluginhostPreTimeout", "the plugin host timed out waiting for the pre-scripts"),
        (311, "FailedPrepostPluginhostPostTimeout", "the plugin host timed out waiting for the post-scripts"),
        (312, "FailedPrepostCheckSumMismatch", "a script's checksum does not match the configured one"),
        (313, "FailedPrepostPluginhostConfigNotFound", "plugin host config missing"),
        (314, "FailedPrepostPluginhostConfigPermissionError", "plugin host config has unsafe permissions"),
        (315, "FailedPrepostPluginhostConfigOwnershipError", "plugin host config not owned by root"),
        (316, "FailedPrepostPluginConfigNotFound", "VMSnapshotScriptPluginConfig.json missing"),
        (317, "FailedPrepostPluginConfigPermissionError", "VMSnapshotScriptPluginConfig.json has unsafe permissions"),
        (318, "FailedPrepostPluginConfigOwnershipError", "VMSnapshotScriptPluginConfig.json not owned by root"),
    ].map { code($0.0, $0.1, $0.2, .yellow, scriptAction) }

    private static let workloadEntries: [Entry] = [
        (500, "FailedWorkloadPreError", "the database workload pre-hook failed"),
        (501, "FailedWorkloadConfParsingError", "the workload configuration could not be parsed"),
        (502, "FailedWorkloadInvalidRole", "the workload configuration names an invalid role"),
        (503, "FailedWorkloadInvalidWorkloadName", "the workload configuration names an unknown workload"),
        (504, "FailedWorkloadPostError", "the database workload post-hook failed"),
        (505, "FailedWorkloadAuthorizationMissing", "the workload hook lacks database authorization"),
        (506, "FailedWorkloadConnectionError", "the workload hook could not connect to the database"),
        (507, "FailedWorkloadIPCDirectoryMissing", "the workload hook's IPC directory is missing"),
        (508, "FailedWorkloadDatabaseStatusChanged", "the database's open/closed state changed between pre and post"),
        (509, "FailedWorkloadQuiescingError", "quiescing the database failed"),
        (510, "FailedWorkloadQuiescingTimeout", "quiescing the database timed out"),
        (511, "FailedWorkloadDatabaseInNoArchiveLog", "the database is in NOARCHIVELOG mode"),
        (512, "FailedWorkloadLogModeChanged", "the database's log mode changed between pre and post"),
    ].map { code($0.0, $0.1, $0.2, .yellow, workloadAction) }
}
