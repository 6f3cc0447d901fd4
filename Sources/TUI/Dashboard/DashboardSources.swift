import Core
import Foundation

/// The tasks that keep a dashboard's model fresh: the status blob poll, the newest status file, extension.log.
public enum DashboardSources {
    static let statusBlobName = MonitorSourceLocations.statusBlobName
    static let statusFileName = MonitorSourceLocations.statusFileName
    static let logName = MonitorSourceLocations.logName
    /// How often extension.log is looked at (cheap: a stat and a read of what was appended).
    public static let logInterval: TimeInterval = 0.5

    /// Polls every source into the feed until the task is cancelled.
    public static func run(locations: MonitorSourceLocations, fetcher: (any StatusBlobFetching)?, feed: DashboardFeed)
        async
    {
        await withTaskGroup(of: Void.self) { group in
            if let fetcher {
                group.addTask { await pollStatusBlob(fetcher, interval: locations.interval, feed: feed) }
            }
            group.addTask { await pollLocalFiles(locations, feed: feed) }
        }
    }

    private static func pollStatusBlob(_ fetcher: any StatusBlobFetching, interval: TimeInterval, feed: DashboardFeed)
        async
    {
        let poller = StatusBlobPoller(fetcher: fetcher, interval: interval)
        while !Task.isCancelled {
            let outcome = await poller.poll()
            let now = Date()
            switch outcome {
            case .updated(let snapshot):
                feed.update { model in
                    model.blob = snapshot
                    model.source(statusBlobName) { $0.recordSuccess(at: now) }
                }
            case .unchanged:
                feed.update(wake: false) { model in model.source(statusBlobName) { $0.recordSuccess(at: now) } }
            case .failed(let message):
                feed.update { model in model.source(statusBlobName) { $0.recordFailure(message, at: now) } }
            }
            try? await Task.sleep(for: .seconds(await poller.nextDelay))
        }
    }

    private static func pollLocalFiles(_ locations: MonitorSourceLocations, feed: DashboardFeed) async {
        let local = LocalSources(locations: locations)
        let journal = local.plugin.map { (path: JobHistory(directory: $0.path).path, tracker: FileChangeTracker()) }
        var nextStatusCheck = Date.distantPast
        while !Task.isCancelled {
            let now = Date()
            if let tailer = local.tailer {
                let lines = tailer.poll()
                feed.update(wake: lines?.isEmpty == false) { model in
                    if let lines {
                        if !lines.isEmpty { model.appendLog(lines) }
                        model.source(logName) { $0.recordSuccess(at: now) }
                    } else {
                        model.source(logName) { $0.recordFailure("\(tailer.path) not found", at: now) }
                    }
                }
            }
            if local.plugin != nil, now >= nextStatusCheck {
                nextStatusCheck = now.addingTimeInterval(locations.interval)
                if let journal, journal.tracker.changed(journal.path), let path = local.plugin?.path {
                    let history = JobHistory(directory: path)
                    if let contents = try? history.read() {
                        feed.update { model in
                            model.history = (history.path, contents)
                            model.journalLastSuccess = contents.records.last(where: \.isGoodSnapshot)?.endedAt
                        }
                    }
                }
                let result = local.changedStatusFile()
                let changed: Bool =
                    switch result {
                    case .success(let snapshot): snapshot != nil
                    case .failure: true
                    }
                feed.update(wake: changed) { model in
                    switch result {
                    case .success(let snapshot):
                        if let snapshot {
                            model.file = snapshot
                            model.newestSettingsSequence = local.plugin?.newestSettings?.sequence
                        }
                        model.source(statusFileName) { $0.recordSuccess(at: now) }
                    case .failure(let error):
                        model.source(statusFileName) { $0.recordFailure(error.description, at: now) }
                    }
                }
            }
            try? await Task.sleep(for: .seconds(logInterval))
        }
    }
}
