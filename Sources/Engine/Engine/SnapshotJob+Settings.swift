import Basics
import Foundation

extension SnapshotJob {
    /// A job for the settings at `path` (any form `SettingsLoader` takes). Settings the loader refuses become a job
    /// that only reports the refusal (code 11, 16, ...) through the terminal status, so even that path ends with a
    /// status file and, when the status blob is known and its URI passes its own checks, an uploaded status (a
    /// refused status or log URI is never contacted; the message says which).
    ///
    /// - Parameter rejection: a problem found before the job (e.g. in vmsnap's configuration): the job only reports
    ///   it, to the status file and blob of these settings.
    public static func load(
        settingsPath path: String, sequenceNumber: Int? = nil,
        certificateDirectory: String = SettingsLoader.defaultCertificateDirectory,
        options: SnapshotJobOptions = SnapshotJobOptions(), client: BlobClient = BlobClient(), log: ExtensionLog? = nil,
        rejection: JobFailure? = nil
    ) -> SnapshotJob {
        do {
            let settings = try SettingsLoader.load(
                path: path, sequenceNumber: sequenceNumber, certificateDirectory: certificateDirectory)
            return SnapshotJob(settings: settings, options: options, client: client, log: log, rejection: rejection)
        } catch {
            // Without parsed settings, the status file is still <N>.status for the N the agent asked for.
            let number =
                sequenceNumber
                ?? ProcessInfo.processInfo.environment[SettingsLoader.sequenceNumberVariable].flatMap(
                    SettingsLocation.sequenceNumber(environmentValue:))
                ?? SettingsLocation.sequenceNumber(ofFile: error.file)
            var settings =
                error.settings
                ?? JobSettings(taskID: "", command: "", sequenceNumber: number, disks: [], source: path)
            // Only targets that passed their own checks are contacted, also to report this refusal.
            let targets = error.uploadTargets
            settings.statusBlob = targets.statusBlob
            settings.logsBlob = targets.logsBlob
            let note = targets.reportingNote.isEmpty ? "" : " (\(targets.reportingNote))"
            return SnapshotJob(
                settings: settings, options: options, client: client, log: log,
                rejection: JobFailure(
                    code: ResultCode(error.resultCode), message: "invalid settings\(note): \(error.description)"))
        }
    }
}
