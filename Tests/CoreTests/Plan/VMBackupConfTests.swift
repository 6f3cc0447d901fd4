import Core
import Testing

/// vmbackup.conf read as the spec (vmbackup-conf.md) describes: every key, and each of the peer's quirks with the
/// reading vmsnap chose for it.
struct VMBackupConfTests {
    private func parse(_ text: String) -> VMBackupConf { VMBackupConf.parse(text, path: "/etc/azure/vmbackup.conf") }

    private func warned(_ conf: VMBackupConf, line: Int, _ text: String) -> Bool {
        conf.warnings.contains { $0.line == line && $0.message.contains(text) }
    }

    @Test func everyKeyIsReadWithItsKind() {
        let conf = parse(
            """
            [SnapshotThread]
            SnapshotMethod = onlyGuest
            timeout = 90
            SafeFreezeWaitInSeconds = 600
            MountsToSkip = /mnt/nfs_share,/mnt/cifs_share
            seqsnapshot = 2
            WriteLog = False
            UploadStatusAndLog = True
            LoggingOff = 1
            disable_logging = 1
            async_event_logging = 1
            onlyLocalFilesystems = true
            sudo_off = 1
            OnAppFailureDoFsFreeze = False
            OnAppSuccessDoFsFreeze = True
            fsfreeze: True
            isanysnapshotfailed = false
            SnapshotRateExceededFailureCount = 0
            [Monitor]
            Run = yes
            Strace = no
            Location = /var/log/azure/debughelper
            [lsblkUser]
            username = azureuser
            """)
        let expected: [VMBackupConfKey: VMBackupConf.Value] = [
            .snapshotMethod: .text("onlyGuest"), .timeout: .integer(90), .safeFreezeWaitInSeconds: .integer(600),
            .mountsToSkip: .paths(["/mnt/nfs_share", "/mnt/cifs_share"]), .seqsnapshot: .integer(2),
            .writeLog: .boolean(false), .uploadStatusAndLog: .boolean(true), .loggingOff: .integer(1),
            .disableLogging: .integer(1), .asyncEventLogging: .integer(1), .onlyLocalFilesystems: .boolean(true),
            .sudoOff: .integer(1), .onAppFailureDoFsFreeze: .text("False"), .onAppSuccessDoFsFreeze: .text("True"),
            .fsfreeze: .boolean(true), .isAnySnapshotFailed: .boolean(false),
            .snapshotRateExceededFailureCount: .integer(0), .monitorRun: .boolean(true),
            .monitorStrace: .boolean(false), .monitorLocation: .text("/var/log/azure/debughelper"),
            .lsblkUsername: .text("azureuser"),
        ]
        #expect(Set(expected.keys) == Set(VMBackupConfKey.allCases), "the test covers every key")
        for (key, value) in expected { #expect(conf[key]?.value == value, "\(key.rawValue)") }
        #expect(conf[.timeout]?.line == 3)
        #expect(conf.warnings.isEmpty, "\(conf.warnings)")
        let effective: Set<VMBackupConfKey> = [
            .timeout, .safeFreezeWaitInSeconds, .mountsToSkip, .seqsnapshot, .writeLog, .uploadStatusAndLog,
            .disableLogging, .snapshotMethod,
        ]
        for key in VMBackupConfKey.allCases {
            #expect((key.ignoredBecause == nil) == effective.contains(key), "\(key.rawValue) says what vmsnap does")
        }
        #expect(VMBackupConfKey.fsfreeze.ignoredBecause?.contains("fsFreezeEnabled") == true)
    }

    @Test func integersReadAsPythonIntDoesAndOthersKeepTheDefault() {
        let conf = parse("[SnapshotThread]\ntimeout =   +007\nseqsnapshot = 1_0\nSafeFreezeWaitInSeconds = 7.0\n")
        #expect(conf[.timeout]?.value == .integer(7))
        #expect(conf[.seqsnapshot]?.value == .integer(10))
        #expect(conf[.safeFreezeWaitInSeconds] == nil)
        #expect(warned(conf, line: 4, "expected a whole number; the default is used"))
        for bad in ["7s", "0x7", "seven"] {
            #expect(parse("[SnapshotThread]\ntimeout = \(bad)\n")[.timeout] == nil, "\(bad)")
        }
        #expect(parse("[SnapshotThread]\ntimeout = -3\n")[.timeout]?.value == .integer(-3), "range is the plan's")
    }

    @Test func sectionAndKeyNamesInAnyCaseWithAWarning() {
        let conf = parse("[snapshotthread]\nMOUNTSTOSKIP = /a\n")
        #expect(conf[.mountsToSkip]?.value == .paths(["/a"]))
        #expect(warned(conf, line: 1, "read as [SnapshotThread]"))
        #expect(warned(conf, line: 2, "read as MountsToSkip"))
    }

    @Test func bothDelimitersSpacesQuotesAndInlineComments() {
        let conf = parse(
            "[SnapshotThread]\nSnapshotMethod: \"onlyHost\"\nMountsToSkip = /a # note\nWriteLog:True\n")
        #expect(conf[.snapshotMethod]?.value == .text("onlyHost"))
        #expect(warned(conf, line: 2, "quotes removed"))
        #expect(conf[.mountsToSkip]?.value == .paths(["/a"]))
        #expect(warned(conf, line: 3, "inline comment removed"))
        #expect(conf[.writeLog]?.value == .boolean(true))
    }

    @Test func listItemsAreTrimmedAndRootCannotBeSkipped() {
        let conf = parse("[SnapshotThread]\nMountsToSkip = /a, /b/ ,/,relative\n")
        #expect(conf[.mountsToSkip]?.value == .paths(["/a", "/b"]))
        #expect(warned(conf, line: 2, "trimmed (the peer compares"))
        #expect(warned(conf, line: 2, "/ is always frozen"))
        #expect(warned(conf, line: 2, "'relative' is not an absolute mount point"))
    }

    @Test func percentSigns() {
        let conf = parse("[SnapshotThread]\nMountsToSkip = /data%%1,/x%y\n")
        #expect(conf[.mountsToSkip]?.value == .paths(["/data%1", "/x%y"]))
        #expect(warned(conf, line: 2, "a lone % is read literally"))
    }

    @Test func defaultSectionAppliesInsideSnapshotThread() {
        #expect(parse("[DEFAULT]\ntimeout = 30\n[SnapshotThread]\n")[.timeout]?.value == .integer(30))
        #expect(parse("[DEFAULT]\ntimeout = 30\n[SnapshotThread]\ntimeout = 40\n")[.timeout]?.value == .integer(40))
        #expect(parse("[DEFAULT]\ntimeout = 30\n")[.timeout] == nil, "no [SnapshotThread]: defaults, as the peer")
    }

    @Test func indentedLinesContinueTheValue() {
        let conf = parse("[SnapshotThread]\nMountsToSkip = /a,\n    /b\n")
        #expect(conf[.mountsToSkip]?.value == .paths(["/a", "/b"]))
    }

    @Test func emptyValueIsTheDefault() {
        let conf = parse("[SnapshotThread]\ntimeout =\n")
        #expect(conf[.timeout] == nil)
        #expect(conf.warnings.isEmpty)
    }

    @Test func aBrokenLineCostsThatLineOnlyNotTheWholeFile() {
        let conf = parse(
            "\u{FEFF}timeout = 5\n[SnapshotThread]\nMountsToSkip\ntimeout = 20\ntimeout = 25\n[SnapshotThread]\nseqsnapshot = 1\n"
        )
        #expect(warned(conf, line: 1, "comes before any [section]"))
        #expect(warned(conf, line: 3, "neither [section], key = value nor a comment"))
        #expect(warned(conf, line: 5, "again in [SnapshotThread] (first on line 4)"))
        #expect(warned(conf, line: 6, "section [SnapshotThread] again (first on line 2)"))
        #expect(conf[.timeout]?.value == .integer(25))
        #expect(conf[.seqsnapshot]?.value == .integer(1))
    }

    @Test func booleansTakeTheUsualWordsAndSayWhereThePeerDiffers() {
        let conf = parse("[SnapshotThread]\nUploadStatusAndLog = yes\nWriteLog = maybe\n")
        #expect(conf[.uploadStatusAndLog]?.value == .boolean(true))
        #expect(warned(conf, line: 2, "the peer takes only the exact word True"))
        #expect(conf[.writeLog] == nil)
        #expect(warned(conf, line: 3, "expected true or false"))
    }

    @Test func snapshotMethodChoicesAndUnknownKeys() {
        let conf = parse("[SnapshotThread]\nSnapshotMethod = onlyguest\nfrobnicate = 1\n[Other]\nx = 1\n")
        // Kept as written: the method choice runs firstHostThenGuest for anything but the four exact names.
        #expect(conf[.snapshotMethod]?.value == .text("onlyguest"))
        #expect(warned(conf, line: 2, "is not exactly onlyGuest: the job runs firstHostThenGuest"))
        #expect(warned(conf, line: 3, "unknown key 'frobnicate'"))
        #expect(warned(conf, line: 4, "unknown section [Other]"))
        let unknown = parse("[SnapshotThread]\nSnapshotMethod = hostOnly\n")
        #expect(unknown[.snapshotMethod]?.value == .text("hostOnly"))
        #expect(warned(unknown, line: 2, "the job runs firstHostThenGuest, as the peer"))
    }

    @Test func aMissingFileIsNoConfiguration() {
        #expect(VMBackupConf.load(path: "/nonexistent/vmbackup.conf") == nil)
    }
}
