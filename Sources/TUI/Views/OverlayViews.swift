import Core
import Foundation

/// Boxes drawn over the main view: help, trigger confirmation, disk detail, error explanation.
enum OverlayViews {
    static let helpLines: [(String, String)] = [
        ("Up/Down  j/k", "move the selection, or scroll the log (pauses it)"),
        ("PgUp/PgDn  g/G", "page, jump to the first or last"),
        ("Tab", "switch between the disk table and the log"),
        ("Enter", "details of the selected disk (URIs redacted, request id, raw error)"),
        ("Esc", "back, close, clear the search"),
        ("s", "sort disks: index, state, latency, name"),
        ("/  n  N", "search the log, next and previous match"),
        ("f", "follow the log or pause it"),
        ("w", "wrap long log lines"),
        ("l", "log level filter: all, >= INF, >= WRN, ERR"),
        ("e", "explain the error code in view (meaning and what to do)"),
        ("i", "recent jobs, job plan, newest settings (secrets hidden)"),
        ("t", "trigger a snapshot now (asks first; not with --read-only)"),
        ("?", "this help"),
        ("q", "quit"),
    ]

    static func render(
        _ model: DashboardModel, state: DashboardState, into grid: inout CellGrid, body: Rect,
        context: RenderContext
    ) {
        switch state.overlay {
        case .none: return
        case .help: renderHelp(helpLines, footer: helpFooter, into: &grid, body: body, context: context)
        case .settings: renderSettings(model, into: &grid, body: body, context: context)
        case .confirmTrigger: renderConfirm(model, into: &grid, body: body, context: context)
        case .confirmQuit: renderQuitQuestion(into: &grid, body: body, context: context)
        case .detail(let index):
            guard let disk = model.job?.disks.first(where: { $0.progress.index == index }) else { return }
            renderDetail(disk, job: model.job, into: &grid, body: body, context: context)
        case .explain(let codes): renderExplain(codes, into: &grid, body: body, context: context)
        }
    }

    private static func centered(_ body: Rect, width: Int, height: Int) -> Rect {
        let w = min(body.width, width)
        let h = min(body.height, height)
        return Rect(x: body.x + (body.width - w) / 2, y: body.y + (body.height - h) / 2, width: w, height: h)
    }

    static let helpFooter =
        "State is always spelled out (done, FAILED, STALE, PAUSED); colour only repeats it. Esc closes."
    /// Columns of the keys column, and where the meanings start inside the box.
    private static let helpKeysWidth = 16
    private static let helpMeaningX = 19

    /// The help box is as wide as its longest line when the terminal allows; narrower, meanings and the footer
    /// wrap under themselves, and only when even the wrapped rows do not fit the height are lines cut with an
    /// ellipsis.
    static func renderHelp(
        _ helpLines: [(String, String)], footer helpFooter: String, into grid: inout CellGrid, body: Rect,
        context: RenderContext
    ) {
        let widest = helpLines.map { DisplayWidth.of($0.1) }.max() ?? 0
        let width = min(body.width, helpMeaningX + widest + 2)
        let meaningWidth = max(1, width - helpMeaningX - 2)
        var rows = helpLines.flatMap { keys, meaning in
            CellGrid.wrap(meaning, width: meaningWidth).enumerated().map { ($0 == 0 ? keys : "", $1) }
        }
        var footer = CellGrid.wrap(helpFooter, width: max(1, width - 4))
        if rows.count + footer.count + 2 > body.height {
            rows = helpLines
            footer = [helpFooter]
        }
        let rect = centered(body, width: width, height: rows.count + footer.count + 2)
        grid.box(rect, title: "Help: keys", glyphs: context.glyphs)
        let footerTop = rect.bottom - 1 - footer.count
        for (i, (keys, meaning)) in rows.enumerated() where rect.y + 1 + i < footerTop {
            let y = rect.y + 1 + i
            grid.put(
                DiskTableView.pad(keys, helpKeysWidth), x: rect.x + 2, y: y, style: CellStyle(.accent, .bold),
                limit: helpKeysWidth)
            grid.putFitted(
                meaning, x: rect.x + helpMeaningX, y: y, width: rect.width - helpMeaningX - 2, glyphs: context.glyphs)
        }
        for (i, row) in footer.enumerated() where footerTop + i > rect.y {
            grid.putFitted(
                row, x: rect.x + 2, y: footerTop + i, width: rect.width - 4, style: .muted, glyphs: context.glyphs)
        }
    }

    /// How many of the newest jobs the `i` overlay lists.
    static let recentJobs = 5

    private static func renderSettings(
        _ model: DashboardModel, into grid: inout CellGrid, body: Rect, context: RenderContext
    ) {
        let rect = Rect(x: body.x + 1, y: body.y, width: body.width - 2, height: body.height)
        var title = model.jobPlanText == nil ? "Newest settings, redacted" : "Job plan and newest settings, redacted"
        if model.history != nil { title = "Recent jobs, " + title.prefix(1).lowercased() + title.dropFirst() }
        grid.box(rect, title: "\(title)  (Esc back)", glyphs: context.glyphs)
        let settings = model.settings ?? "no settings file in the plugin directory"
        let recent = model.history.map { history in
            HistoryReport(
                path: history.path, contents: history.contents, newest: recentJobs, machine: nil,
                generatedAt: context.now
            ).text(zone: context.zone) + "\n"
        }
        let text = Redactor.redact(
            (recent ?? "") + (model.jobPlanText.map { $0 + "\nNewest settings:\n" + settings } ?? settings))
        var y = rect.y + 1
        for row in text.split(separator: "\n", omittingEmptySubsequences: false) where y < rect.bottom - 1 {
            grid.putFitted(String(row), x: rect.x + 2, y: y, width: rect.width - 4, glyphs: context.glyphs)
            y += 1
        }
    }

    private static func renderConfirm(
        _ model: DashboardModel, into grid: inout CellGrid, body: Rect, context: RenderContext
    ) {
        let disks = model.job?.disks.count ?? 0
        guard let plan = model.triggerPlan else {
            renderQuestion(
                "Trigger a snapshot?", ["Working out the job plan..."], warning: 0, answer: "[N] no (any key)",
                offersYes: false, into: &grid, body: body, context: context)
            return
        }
        if let problem = plan.problem {
            renderQuestion(
                "Cannot trigger a snapshot", ["The job plan cannot be made:", problem], warning: 2,
                answer: "[N] close (any key)", offersYes: false, into: &grid, body: body, context: context)
            return
        }
        var lines = ["Snapshot \(disks > 0 ? "\(disks) disks" : "the VM's disks") now.", plan.freezeSummary]
        let room = max(1, body.height - 8)
        let shown = plan.mounts.count > room ? Array(plan.mounts.prefix(room - 1)) : plan.mounts
        lines += shown.map { "- \($0)" }
        if shown.count < plan.mounts.count { lines.append("- ... and \(plan.mounts.count - shown.count) more") }
        lines.append("Scripts: \(plan.scripts)")
        renderQuestion(
            "Trigger a snapshot?", lines, warning: plan.freezing ? 2 + plan.mounts.count : 0,
            answer: "[N] no (Enter, Esc, any other key)", offersYes: true, into: &grid, body: body, context: context)
    }

    /// The quit question while a triggered job runs.
    static let quitLines = [
        "A snapshot job started here is still running.", "Quitting cancels it: frozen filesystems are thawed and",
        "the job ends with code 2 and a terminal status.",
    ]

    private static func renderQuitQuestion(into grid: inout CellGrid, body: Rect, context: RenderContext) {
        renderQuestion(
            "Quit while a job runs?", quitLines, warning: 0, answer: "[N] stay (Enter, Esc, any other key)",
            offersYes: true, into: &grid, body: body, context: context)
    }

    /// A question box: `lines` (the `warning` lines after the first in the warning colour), then `[y] yes` when
    /// `offersYes`, and `answer`.
    private static func renderQuestion(
        _ title: String, _ lines: [String], warning: Int, answer: String, offersYes: Bool, into grid: inout CellGrid,
        body: Rect, context: RenderContext
    ) {
        let width = min(body.width, max(60, (lines.map(DisplayWidth.of).max() ?? 0) + 4))
        let rows = lines.enumerated().flatMap { index, line in
            CellGrid.wrap(line, width: max(1, width - 4)).map { (index, $0) }
        }
        let rect = centered(body, width: width, height: 4 + rows.count)
        grid.box(rect, title: title, glyphs: context.glyphs, style: .warning)
        for (i, (index, row)) in rows.enumerated() where rect.y + 1 + i < rect.bottom - 2 {
            let emphasised = index >= 1 && index <= warning
            grid.putFitted(
                row, x: rect.x + 2, y: rect.y + 1 + i, width: rect.width - 4,
                style: emphasised ? CellStyle(.warning, .bold) : .plain, glyphs: context.glyphs)
        }
        let answers: [(String, CellStyle)] =
            (offersYes ? [("[y] yes   ", CellStyle(.warning, .bold))] : []) + [(answer, .plain)]
        grid.putSegments(answers, x: rect.x + 2, y: rect.bottom - 2, right: rect.x + rect.width - 2)
    }

    private static func renderDetail(
        _ disk: MonitoredDisk, job: JobSnapshot?, into grid: inout CellGrid, body: Rect, context: RenderContext
    ) {
        let p = disk.progress
        let rect = Rect(x: body.x + 1, y: body.y, width: body.width - 2, height: body.height)
        grid.box(rect, title: "Disk \(p.index): \(p.blob)  (Esc back, e explain)", glyphs: context.glyphs)
        let (state, stateStyle) = DiskTableView.stateText(p.state, attempts: p.attempts, glyphs: context.glyphs)
        var fields: [(String, String, CellStyle)] = [
            ("blob URI", Redactor.redact(p.blobURI), .plain),
            ("LUN", disk.lun.map(String.init) ?? "unknown", .plain),
            ("account", p.account, .plain), ("container", p.container, .plain),
            ("state", "\(state) after \(p.attempts) attempt\(p.attempts == 1 ? "" : "s")", stateStyle),
            ("latency", p.latencyMilliseconds.map { RenderContext.fixed($0, digits: 1) + " ms" } ?? "-", .plain),
            ("HTTP status", p.httpStatus.map(String.init) ?? "-", .plain),
            ("error code", p.errorCode ?? "-", p.errorCode == nil ? .plain : .critical),
            ("request id", p.requestID ?? "-", .plain),
            ("snapshot", p.snapshotTime ?? "-", .plain),
            ("snapshot URI", p.snapshotURI.map(Redactor.redact) ?? "-", .plain),
        ]
        fields += hostPathFields(disk, job: job)
        if let explanation = p.errorCode.flatMap(context.explain) {
            fields.append(("meaning", explanation.meaning, .plain))
            fields.append(("what to do", explanation.action, .plain))
        }
        var y = rect.y + 1
        let valueX = rect.x + 16
        for (label, value, style) in fields where y < rect.bottom - 1 {
            grid.put(label, x: rect.x + 2, y: y, style: .muted)
            grid.putFitted(value, x: valueX, y: y, width: rect.width - 18, style: style, glyphs: context.glyphs)
            y += 1
        }
        if let message = p.errorMessage, y < rect.bottom - 2 {
            grid.put("raw storage error", x: rect.x + 2, y: y, style: .muted)
            y += 1
            for row in CellGrid.wrap(Redactor.redact(message), width: rect.width - 6) where y < rect.bottom - 1 {
                grid.put(row, x: rect.x + 4, y: y, style: .critical, limit: rect.width - 6)
                y += 1
            }
        }
    }

    /// Who took the disk's snapshot, its DirectDrive identifier (the token never shown), and the job's method and
    /// why, the host's answers (presnapshot, dosnapshot; 555-558 explained) and the consistency achieved, as far as
    /// the document says.
    static func hostPathFields(_ disk: MonitoredDisk, job: JobSnapshot?) -> [(String, String, CellStyle)] {
        let p = disk.progress
        var fields: [(String, String, CellStyle)] = []
        if let path = p.path {
            fields.append(("taken by", path == .host ? "the host (backup host service)" : "the guest (vmsnap)", .plain))
        }
        if let directDrive = p.directDrive {
            let token = directDrive.token == nil ? "" : ", token \(Redactor.placeholder)"
            fields.append(("DirectDrive", "snapshot \(Redactor.redact(directDrive.id))\(token)", .plain))
        }
        guard let job else { return fields }
        if let method = job.method { fields.append(("method", method.summary, .plain)) }
        for answer in job.hostAnswers {
            let text =
                answer.code.isSuccess ? String(answer.code.rawValue) : "\(answer.code): \(answer.code.explanation)"
            fields.append((answer.call, text, answer.code.isSuccess ? .plain : .critical))
        }
        if let consistency = job.consistency {
            let (text, style): (String, CellStyle) =
                switch consistency {
                case .application: ("application-consistent", .ok)
                case .fileSystem: ("filesystem-consistent", .ok)
                case .crashConsistentFallback: ("crash-consistent (taken after the freeze failed)", .warning)
                case .none:
                    job.isTerminal
                        ? ("none: no snapshot was taken", .critical) : ("not known while the job runs", .muted)
                }
            fields.append(("consistency", text, style))
        }
        return fields
    }

    private static func renderExplain(_ codes: [String], into grid: inout CellGrid, body: Rect, context: RenderContext)
    {
        let rect = centered(body, width: 90, height: body.height)
        grid.box(rect, title: "Explain \(codes.joined(separator: ", "))  (Esc back)", glyphs: context.glyphs)
        var y = rect.y + 1
        let width = rect.width - 4
        for code in codes where y < rect.bottom - 1 {
            guard let entry = context.explain(code) else {
                grid.putFitted(
                    "\(code): not in the error catalog", x: rect.x + 2, y: y, width: width, style: .warning,
                    glyphs: context.glyphs)
                y += 2
                continue
            }
            grid.putFitted(
                "\(entry.code) \(entry.name)", x: rect.x + 2, y: y, width: width, style: CellStyle(.title, .bold),
                glyphs: context.glyphs)
            y += 1
            for (label, text) in [("Meaning: ", entry.meaning), ("What to do: ", entry.action)] {
                for (i, row) in CellGrid.wrap(label + text, width: width).enumerated() where y < rect.bottom - 1 {
                    grid.put(row, x: rect.x + 2, y: y, style: i == 0 ? .plain : .plain, limit: width)
                    y += 1
                }
            }
            y += 1
        }
    }
}
