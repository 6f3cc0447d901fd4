import Core
import Foundation

/// The top rows: who and what (extension, VM, sequence, task), the job's verdict, the document's age beside every
/// source's freshness, the phase timeline with the freeze-window timer, and two rows saying why: the cause of a
/// failure (first failing disk, storage error, HTTP status) and what to do.
enum HeaderView {
    /// The longest poll failure the header shows before cutting it (the rest is in `status --once`).
    static let failureWidth = 40

    /// Rows the header takes.
    static let height = 6

    static func render(_ model: DashboardModel, into grid: inout CellGrid, width: Int, context: RenderContext) {
        let g = context.glyphs
        let job = model.job
        let name = (job?.extensionName ?? PluginDirectory.extensionName).split(separator: ".").last.map(String.init)
        grid.fill(x: 0, y: 0, width: width, height: 1, style: CellStyle(.title, .reverse))
        grid.putSegments(
            [
                (" vmsnap ", CellStyle(.title, [.reverse, .bold])),
                ("\(name ?? "VMSnapshotLinux") \(job?.extensionVersion ?? "?")", CellStyle(.title, .reverse)),
                (g.separator + "vm \(model.vmName)", CellStyle(.title, .reverse)),
                (g.separator + "seq \(job?.sequenceNumber.map(String.init) ?? "-")", CellStyle(.title, .reverse)),
                (
                    job?.newerSequenceNumber.map { " (older job; newest \($0))" } ?? "",
                    CellStyle(.title, [.reverse, .bold])
                ),
                (g.separator + "task \(job?.taskID ?? "-")", CellStyle(.title, .reverse)),
            ], x: 0, y: 0, right: width)

        var row1: [(String, CellStyle)] = []
        let verdict = model.judgement(now: context.now).verdict
        row1.append((statusLabel(verdict, glyphs: g), style(for: verdict)))
        if let job {
            if let code = job.code { row1.append(("  code \(code)", .plain)) }
            if let health = job.healthStatusCode, health != job.code {
                row1.append((g.separator + "health \(health)", .plain))
            }
            let (done, total) = job.diskProgress
            if total > 0 { row1.append((g.separator + "disks \(done)/\(total)", .plain)) }
            if let stamp = job.timestamp {
                let age = SourceFreshness.age(context.now.timeIntervalSince(stamp))
                row1.append((g.separator + "written \(context.stamp(stamp)), \(age) ago", CellStyle(.normal, .bold)))
                row1.append((" (\(job.origin.rawValue))", .muted))
            }
        } else {
            row1.append(("  no status document yet", .warning))
        }
        grid.putSegments(row1, x: 1, y: 1, right: width)

        var row2: [(String, CellStyle)] = model.sources.isEmpty ? [] : [("polled ", .muted)]
        for (i, source) in model.sources.enumerated() {
            if i > 0 { row2.append(("  ", .plain)) }
            let stale = source.isStale(now: context.now)
            let text = source.summary(now: context.now, zone: context.zone, errorLimit: failureWidth)
            if stale, text.hasSuffix(" STALE") {
                row2.append((String(text.dropLast(6)) + " ", source.failingSince != nil ? .warning : .muted))
                row2.append(("STALE", CellStyle(.critical, [.bold, .reverse])))
            } else {
                row2.append((text, .ok))
            }
        }
        if let lastGood = lastGoodSnapshotSegment(
            model, room: width - 2 - DisplayWidth.of(row2.map(\.0).joined()), context: context)
        {
            row2.append(lastGood)
        }
        grid.putSegments(row2, x: 1, y: 2, right: width)

        renderTimeline(model, into: &grid, y: 3, width: width, context: context)
        renderCallout(model, into: &grid, y: 4, width: width, context: context)
    }

    /// A good snapshot older than this is shown as critical (the README's example alert pages at the same age).
    static let lastGoodCriticalAge: TimeInterval = 26 * 3600

    /// `  last good snapshot 3 h ago`, or the short ` last good 3 h ago` when only that fits in `room` columns;
    /// nil when no good snapshot is known or neither fits.
    private static func lastGoodSnapshotSegment(_ model: DashboardModel, room: Int, context: RenderContext)
        -> (String, CellStyle)?
    {
        guard let lastGood = model.lastGoodSnapshot else { return nil }
        let elapsed = max(0, context.now.timeIntervalSince(lastGood))
        let age = SourceFreshness.age(elapsed)
        let style: CellStyle = elapsed > lastGoodCriticalAge ? CellStyle(.critical, .bold) : .muted
        for text in ["  last good snapshot \(age) ago", " last good \(age) ago"] where DisplayWidth.of(text) <= room {
            return (text, style)
        }
        return nil
    }

    static func phaseName(_ stage: JobStage) -> String {
        switch stage {
        case .preScript: "pre-script"
        case .postScript: "post-script"
        default: stage.rawValue
        }
    }

    private static func renderTimeline(
        _ model: DashboardModel, into grid: inout CellGrid, y: Int, width: Int, context: RenderContext
    ) {
        let phases =
            (model.job?.phases.filter { PhaseRecord.timelineStages.contains($0.stage) }
            ?? PhaseRecord.timelineStages.map { PhaseRecord(stage: $0, state: .pending) }).filter(\.isShown)
        var right = width
        if let opened = model.freezeOpenedAt {
            let elapsed = max(0, context.now.timeIntervalSince(opened))
            let ratio = model.freezeTimeout > 0 ? elapsed / model.freezeTimeout : 1
            let (label, style): (String, CellStyle) =
                ratio >= 0.8
                ? ("CRITICAL", CellStyle(.critical, [.bold, .reverse]))
                : ratio >= 0.5 ? ("WARNING", .warning) : ("ok", .ok)
            let timer =
                " FROZEN \(RenderContext.fixed(elapsed, digits: 1)) s / "
                + "\(RenderContext.fixed(model.freezeTimeout, digits: 0)) s \(label) "
            let timerWidth = DisplayWidth.of(timer)
            if timerWidth < width - 10 {
                right = width - timerWidth
                grid.put(timer, x: right, y: y, style: style)
            }
        }
        let full = timelineSegments(phases, compact: false, context: context)
        let fits = DisplayWidth.of(full.map(\.0).joined()) <= right - 2
        grid.putSegments(
            fits ? full : timelineSegments(phases, compact: true, context: context), x: 1, y: y, right: right - 1)
    }

    private static func timelineSegments(_ phases: [PhaseRecord], compact: Bool, context: RenderContext)
        -> [(String, CellStyle)]
    {
        let g = context.glyphs
        var segments: [(String, CellStyle)] = []
        for (i, phase) in phases.enumerated() {
            if i > 0 { segments.append((compact ? " " : g.arrow, .muted)) }
            let (glyph, style): (String, CellStyle) =
                switch phase.state {
                case .pending: (g.pending, .muted)
                case .running: (g.running, CellStyle(.accent, .bold))
                case .succeeded: (g.ok, .ok)
                case .failed: (g.failed + " FAILED", .critical)
                case .skipped: (g.skipped, .muted)
                case .unknown: (g.unknown, .muted)
                }
            let name = compact ? shortPhaseName(phase.stage) : phaseName(phase.stage)
            var text = "\(name) \(glyph)"
            if let elapsed = phase.elapsed(now: context.now) {
                text +=
                    (compact ? "" : " ")
                    + RenderContext.duration(elapsed).replacingOccurrences(of: compact ? " " : "\u{0}", with: "")
            }
            segments.append((text, style))
        }
        return segments
    }

    static func shortPhaseName(_ stage: JobStage) -> String {
        switch stage {
        case .preScript: "pre"
        case .postScript: "post"
        case .snapshot: "snap"
        case .database: "db"
        default: stage.rawValue
        }
    }

    private static func renderCallout(
        _ model: DashboardModel, into grid: inout CellGrid, y: Int, width: Int, context: RenderContext
    ) {
        guard let job = model.job else {
            let names = Set(model.sources.map(\.name))
            let hasDocumentSource =
                names.contains(MonitorSourceLocations.statusBlobName)
                || names.contains(MonitorSourceLocations.statusFileName)
            let text =
                hasDocumentSource
                ? " waiting for the status blob, a status file or a triggered job"
                : " no status blob or plugin directory found under \(PluginDirectory.defaultAgentDirectory): "
                    + "give --status-blob, --plugin-dir or --config"
            grid.putFitted(
                text, x: 1, y: y, width: width - 2, style: hasDocumentSource ? .muted : .warning,
                glyphs: context.glyphs)
            return
        }
        let judgement = model.judgement(now: context.now)
        var lines: [(String, CellStyle)] = []
        switch judgement.verdict {
        case .stuck:
            let why = judgement.reasons.first ?? "no terminal status"
            lines.append(("STUCK: \(why) (code \(job.code.map(String.init) ?? "?"))", CellStyle(.critical, [.bold])))
            lines.append(
                ("the job never reported an outcome: check the extension process and its log  e: explain", .warning))
        case .failed, .warning:
            let style: CellStyle = judgement.verdict == .failed ? CellStyle(.critical, .bold) : .warning
            if let cause = job.cause {
                var text = cause.headline
                if !cause.message.isEmpty { text += ": \(cause.message)" }
                lines.append((text, style))
                lines.append(("do: \(cause.action ?? judgement.reasons.first ?? job.message)  e: explain", .plain))
            } else {
                lines.append((judgement.reasons.first ?? job.message, style))
                lines.append(("e: explain", .muted))
            }
        case .running, .succeeded, .noJob:
            var message = job.message.isEmpty ? (job.notes.first ?? "") : job.message
            if judgement.verdict == .running, let deadline = job.deadline {
                message += " | time left \(SourceFreshness.age(max(0, deadline.timeIntervalSince(context.now))))"
            }
            lines.append((message, .plain))
            if let reason = judgement.reasons.first { lines.append((reason, .warning)) }
        }
        for (offset, line) in lines.prefix(2).enumerated() {
            grid.putFitted(line.0, x: 1, y: y + offset, width: width - 2, style: line.1, glyphs: context.glyphs)
        }
    }

    static func statusLabel(_ verdict: Verdict, glyphs: Glyphs) -> String {
        switch verdict {
        case .succeeded: "\(glyphs.ok) SUCCEEDED"
        case .running: "\(glyphs.running) RUNNING"
        case .warning: "! WARNING"
        case .failed: "\(glyphs.failed) FAILED"
        case .stuck: "? STUCK"
        case .noJob: "- NO JOB"
        }
    }

    static func style(for verdict: Verdict) -> CellStyle {
        switch verdict {
        case .succeeded: CellStyle(.ok, .bold)
        case .running: CellStyle(.accent, .bold)
        case .warning: .warning
        case .failed, .stuck: CellStyle(.critical, [.bold, .reverse])
        case .noJob: .muted
        }
    }
}
