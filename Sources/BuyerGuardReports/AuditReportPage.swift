import BuyerGuard
import BuyerGuardDetect
import Foundation

/// An ``AuditReport`` as one self-contained HTML page: inline styles, an inline SVG picture, a
/// few lines of inline script, and a Content-Security-Policy that forbids every fetch, so the page
/// opens offline and reaches nothing. Printing gives the same page in black on white, with every
/// finding's details open.
public struct AuditReportPage: Sendable {
    /// The report.
    public var report: AuditReport
    /// The labels' language.
    public var language: ReportLanguage
    /// Actors drawn in the picture (the busiest); the table lists every actor.
    public var pictureRows = 40
    /// Findings shown per severity below high (critical and high are always all shown).
    public var findingsPerSeverity = 200

    /// A page for `report` in `language`.
    public init(report: AuditReport, language: ReportLanguage) {
        self.report = report
        self.language = language
    }

    /// The page.
    public func html() -> String {
        var page = HTMLWriter()
        let l = language
        page.raw("""
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '\(Self.scriptHash)'; img-src data:">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>
            """)
        page.text("BuyerGuard · \(l(.title)) · \(report.coverage.vaultID ?? report.coverage.logID)")
        page.raw("</title>\n<style>\(Self.style)</style>\n</head>\n<body>\n")
        header(&page)
        coverage(&page)
        integrity(&page)
        explanation(&page)
        activity(&page)
        findings(&page)
        denials(&page)
        retention(&page)
        keys(&page)
        page.raw("<footer><p>")
        page.text(l(.footer))
        page.raw("</p></footer>\n<script>\(Self.script)</script>\n</body>\n</html>\n")
        return page.output
    }

    // MARK: Sections

    private func header(_ page: inout HTMLWriter) {
        let l = language
        page.raw("<header><h1>BuyerGuard · ")
        page.text(l(.title))
        page.raw("</h1>\n<p class=\"meta\">")
        page.text("\(l(.vault)): \(report.coverage.vaultID ?? l(.logOnly)) · \(l(.generated)): \(l.time(report.coverage.generatedAt))")
        if let first = report.coverage.firstEntry, let last = report.coverage.lastEntry {
            page.text(" · \(l(.period)): \(l.date(first)) – \(l.date(last))")
        }
        page.raw("</p>\n")
        let state = verdict
        page.raw("<p class=\"verdict \(state.css)\" id=\"verdict\">")
        page.text(state.text)
        page.raw("</p>\n<div class=\"tiles\">")
        let totals = report.activity.totals
        let counts = Severity.allCases.reversed().map { severity in (severity, report.findings(severity).count) }
        tile(&page, value: totals.explainedShare.map(l.percent) ?? "–", label: l(.explanation), id: "explained-share")
        for (severity, count) in counts where severity >= .medium {
            tile(&page, value: l.number(count), label: "\(l(.findings)): \(l.severity(severity))", css: count > 0 ? severity.rawValue : nil)
        }
        tile(&page, value: l.number(totals.denied), label: l(.denied))
        tile(&page, value: l.number(report.coverage.entriesCovered), label: l(.entriesCovered))
        page.raw("</div>\n<nav><strong>")
        page.text(l(.contents))
        page.raw("</strong>")
        for (anchor, label) in [("coverage", ReportLabel.coverage), ("integrity", .integrity), ("explanation", .explanation),
                                ("activity", .activity), ("findings", .findings), ("denials", .denials), ("retention", .retention),
                                ("keys", .keys)] {
            page.raw(" <a href=\"#\(anchor)\">")
            page.text(l(label))
            page.raw("</a>")
        }
        page.raw("</nav></header>\n")
    }

    /// Intact and checked against a trusted key or an exported checkpoint (ok); intact, but only
    /// against the key the copy itself carries, which whoever holds the copy could have replaced
    /// (warn); altered (bad).
    private var verdict: (css: String, text: String) {
        let integrity = report.integrity
        if !integrity.verification.isIntact { return ("bad", language(.tampered)) }
        if integrity.trustedPublicKey == nil && integrity.exportedCheckpoint == nil { return ("warn", language(.untrusted)) }
        return ("ok", language(.intact))
    }

    private func tile(_ page: inout HTMLWriter, value: String, label: String, css: String? = nil, id: String? = nil) {
        page.raw("<div class=\"tile\(css.map { " " + $0 } ?? "")\"\(id.map { " id=\"\($0)\"" } ?? "")><span class=\"value\">")
        page.text(value)
        page.raw("</span><span class=\"label\">")
        page.text(label)
        page.raw("</span></div>")
    }

    private func coverage(_ page: inout HTMLWriter) {
        let l = language
        let c = report.coverage
        page.section("coverage", l(.coverage))
        var rows: [(String, String)] = [
            (l(.entriesInLog), l.number(c.entriesInLog)),
            (l(.entriesCovered), l.number(c.entriesCovered)),
        ]
        if let first = c.firstEntry, let last = c.lastEntry { rows.append((l(.period), "\(l.time(first)) – \(l.time(last))")) }
        rows.append((l(.filterActor), c.actor ?? l(.allActors)))
        if c.from != nil || c.to != nil {
            rows.append((l(.filterPeriod), "\(c.from.map(l.time) ?? "…") – \(c.to.map(l.time) ?? "…")"))
        }
        rows.append((l(.canariesWatched), l.number(c.canaries)))
        rows.append((l(.rulesOff), c.rulesDisabled.isEmpty ? l(.none) : c.rulesDisabled.joined(separator: ", ")))
        rows.append((l(.timeZone), c.timeZone ?? String(format: "UTC%+d", c.utcOffsetHours)))
        page.keyValues(rows)
        page.raw("</section>\n")
    }

    private func integrity(_ page: inout HTMLWriter) {
        let l = language
        let i = report.integrity
        page.section("integrity", l(.integrity))
        let state = verdict
        page.element("p", state.text, css: "verdict \(state.css)")
        var rows: [(String, String)] = [
            (l(.chainOf), l.number(i.verification.entries)),
            ("head", i.verification.headHash),
            (l(.checkpointsVerified), l.number(i.verification.checkpointsVerified)),
        ]
        if let entries = i.newestCheckpointEntries, let time = i.newestCheckpointTime {
            rows.append((l(.newestCheckpoint), "\(l.number(entries)) \(l(.entries)), \(l.time(time))"))
        } else {
            rows.append((l(.newestCheckpoint), l(.noCheckpoint)))
        }
        rows.append((l(.exportedCheckpoint), i.exportedCheckpoint.map {
            "\(l.number($0.entryCount)) \(l(.entries)), \(l.time($0.time)), head \($0.headHash)"
        } ?? l(.notChecked)))
        rows.append((l(.trustedKey), i.trustedPublicKey ?? l(.none)))
        page.keyValues(rows)
        for (label, items) in [(l(.problems), i.verification.problems.map(\.description)), (l(.warnings), i.verification.warnings)] where !items.isEmpty {
            page.element("h3", label)
            page.raw("<ul>")
            for item in items {
                page.element("li", item)
            }
            page.raw("</ul>")
        }
        page.raw("</section>\n")
    }

    private func explanation(_ page: inout HTMLWriter) {
        let l = language
        let totals = report.activity.totals
        page.section("explanation", l(.explanation))
        page.raw("<p class=\"big\"><strong>")
        page.text(totals.explainedShare.map(l.percent) ?? "–")
        page.raw("</strong> ")
        page.text(l(.explainedShare))
        page.raw("</p>")
        page.keyValues([
            (l(.granted), l.number(totals.granted)), (l(.unexplained), l.number(totals.unexplained)),
            (l(.denied), l.number(totals.denied)), (l(.failed), l.number(totals.failed)), (l(.messagesSent), l.number(totals.messagesSent)),
        ])
        let purposes = AccessActivity.ranked(report.activity.grantsByPurpose)
        if !purposes.isEmpty {
            page.element("h3", l(.byPurpose))
            page.bars(purposes, language: l)
        }
        page.element("p", l(.explainedNote), css: "note")
        page.raw("</section>\n")
    }

    private func activity(_ page: inout HTMLWriter) {
        let l = language
        let activity = report.activity
        page.section("activity", l(.activity))
        let actors = activity.actors
        if let first = activity.days.first?.day, let last = activity.days.last?.day {
            page.element("p", l(.activityNote), css: "note")
            ActivityPicture(activity: activity, actors: actors.prefix(pictureRows).map(\.actor), firstDay: first, lastDay: last,
                            language: l).draw(&page)
            if actors.count > pictureRows {
                page.element("p", String(format: l(.moreActors), actors.count - pictureRows), css: "note")
            }
        }
        var activeDays: [String: Int] = [:]
        for day in activity.days { activeDays[day.actor, default: 0] += 1 }
        page.table(header: [l(.actor), l(.requests), l(.granted), l(.unexplained), l(.explanation), l(.denied), l(.failed), l(.messagesSent), l(.activeDays)],
                   numeric: Set(1...8), rows: actors.map { actor, counts in
            [actor, l.number(counts.requests), l.number(counts.granted), l.number(counts.unexplained),
             counts.explainedShare.map(l.percent) ?? "–", l.number(counts.denied), l.number(counts.failed),
             l.number(counts.messagesSent), l.number(activeDays[actor] ?? 0)]
        })
        page.raw("</section>\n")
    }

    private func findings(_ page: inout HTMLWriter) {
        let l = language
        page.section("findings", l(.findings))
        if report.findings.isEmpty {
            page.element("p", l(.noFindings))
        }
        for severity in Severity.allCases.reversed() {
            let group = report.findings(severity)
            guard !group.isEmpty else { continue }
            page.element("h3", "\(l.severity(severity).uppercased()) (\(l.number(group.count)))", css: "severity \(severity.rawValue)")
            let shown = severity >= .high ? group.count : min(group.count, findingsPerSeverity)
            for finding in group.prefix(shown) {
                page.raw("<details class=\"finding \(severity.rawValue)\"\(severity >= .high ? " open" : "")><summary><code>")
                page.text(finding.rule)
                page.raw("</code> ")
                page.text("\(finding.actor) · \(l.time(finding.from)) – \(l.time(finding.to))")
                page.raw("</summary><p>")
                page.text(finding.explanation)
                page.raw("</p><p class=\"evidence\">")
                let sequences = finding.evidence.sequences.prefix(10).map(String.init).joined(separator: ", ")
                let more = finding.evidence.count > 10 ? ", …" : ""
                page.text("\(l(.evidence)): \(l.number(finding.evidence.count)) \(l(.entries)) (\(sequences)\(more))")
                if !finding.evidence.orders.isEmpty {
                    let orders = finding.evidence.orders.prefix(5).joined(separator: ", ")
                    page.text("; \(l(.orders)) \(orders)\(finding.evidence.orders.count > 5 ? ", …" : "")")
                }
                page.raw("</p>")
                if let command = finding.auditLogCommand {
                    page.raw("<p class=\"command\">")
                    page.text(l(.listEntries))
                    page.raw(": <code>")
                    page.text(command)
                    page.raw("</code></p>")
                }
                page.raw("</details>\n")
            }
            if shown < group.count {
                page.element("p", String(format: l(.moreFindings).replacingOccurrences(of: "%@", with: severity.rawValue), group.count - shown), css: "note")
            }
        }
        page.raw("</section>\n")
    }

    private func denials(_ page: inout HTMLWriter) {
        let l = language
        page.section("denials", l(.denials))
        let reasons = AccessActivity.ranked(report.activity.denialsByReason)
        if reasons.isEmpty {
            page.element("p", l(.noDenials))
        } else {
            page.bars(reasons.map { ("\($0.name) — \(l.reason($0.name))", $0.count) }, language: l)
        }
        page.raw("</section>\n")
    }

    private func retention(_ page: inout HTMLWriter) {
        let l = language
        page.section("retention", l(.retention))
        if let status = report.retention.status {
            let overdue = status.ordersPastRetention > 0
            let rule = language == .italian
                ? "\(status.retentionDaysAfterDelivery) giorni dopo la consegna, \(status.retentionDaysWithoutDelivery) dopo l'acquisto se mai consegnato"
                : "\(status.retentionDaysAfterDelivery) days after delivery, \(status.retentionDaysWithoutDelivery) after purchase if never delivered"
            var rows = [
                (l(.rule30), rule),
                (l(.ordersWithPII), l.number(status.ordersWithPII)),
                (l(.ordersPastRetention), "\(l.number(status.ordersPastRetention)) (\(overdue ? l(.purgeOverdue) : l(.purgeNotDue)))"),
                (l(.oldestRetentionEnd), status.oldestRetentionEnd.map(l.time) ?? "–"),
                (l(.ordersWithoutDates), l.number(status.ordersWithoutDates)),
            ]
            for (reason, count) in status.ordersWithPIIRemoved.sorted(by: { $0.key < $1.key }) {
                rows.append(("\(l(.piiRemoved)): \(reason)", l.number(count)))
            }
            page.keyValues(rows, css: overdue ? "warn" : nil)
        } else {
            page.element("p", l(.notFromVault), css: "note")
        }
        page.element("h3", l(.runs))
        maintenanceTable(&page, report.retention.runs, empty: l(.noRuns))
        page.raw("</section>\n")
    }

    private func keys(_ page: inout HTMLWriter) {
        let l = language
        page.section("keys", l(.keys))
        if let versions = report.keys.versions {
            let now = report.coverage.generatedAt
            page.table(header: [l(.role), l(.version), l(.state), l(.created), l(.age)], numeric: [1, 4], rows: versions.map { key in
                let state = key.retiredAt != nil ? l(.retired) : key.isPrimary ? l(.primary) : l(.active)
                return [key.role, "v\(key.version)", state, l.time(key.createdAt),
                        String(format: l(.daysOld), Int(max(0, now.timeIntervalSince(key.createdAt)) / 86_400))]
            })
        } else {
            page.element("p", l(.notFromVault), css: "note")
        }
        page.element("h3", l(.keyEvents))
        maintenanceTable(&page, report.keys.events, empty: l(.noKeyEvents))
        if !report.otherMaintenance.isEmpty {
            page.element("h3", l(.otherMaintenance))
            maintenanceTable(&page, report.otherMaintenance, empty: "")
        }
        page.raw("</section>\n")
    }

    private func maintenanceTable(_ page: inout HTMLWriter, _ entries: [AuditReport.Maintenance], empty: String) {
        let l = language
        guard !entries.isEmpty else {
            page.element("p", empty)
            return
        }
        page.table(header: ["#", l(.when), l(.kind), l(.actor), l(.details)], numeric: [0], rows: entries.map { entry in
            [String(entry.sequence), l.time(entry.time), entry.kind, entry.actor,
             entry.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")]
        })
    }

    // MARK: Style and script

    static let style = """
        :root { --ink: #1d2430; --muted: #5b6473; --line: #d8dce3; --ok: #1b7f3b; --bad: #b42318; --warn: #b54708;
          --blue1: #c6dbef; --blue2: #6baed6; --blue3: #2171b5; --blue4: #08306b; --orange: #f28e2b; --red: #d62728; --grey: #7f7f7f; }
        * { box-sizing: border-box; }
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
          margin: 0 auto; max-width: 1180px; padding: 24px; }
        h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 0 0 10px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
        h3 { font-size: 16px; margin: 16px 0 6px; }
        section { margin: 28px 0; } .meta, .note { color: var(--muted); } .note { font-size: 13px; }
        .verdict { font-weight: 600; padding: 8px 12px; border-radius: 6px; border: 1px solid; }
        .verdict.ok { color: var(--ok); border-color: var(--ok); background: #ecfdf3; }
        .verdict.bad { color: var(--bad); border-color: var(--bad); background: #fef3f2; }
        .verdict.warn { color: var(--warn); border-color: var(--warn); background: #fffaeb; }
        .tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
        .tile { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 130px; }
        .tile .value { display: block; font-size: 22px; font-weight: 700; } .tile .label { font-size: 12px; color: var(--muted); }
        .tile.critical .value, .tile.high .value { color: var(--bad); } .tile.medium .value { color: var(--warn); }
        nav { font-size: 13px; } nav a { margin-left: 8px; color: var(--blue3); }
        table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #f4f6f8; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.kv th { width: 40%; background: none; font-weight: 500; color: var(--muted); }
        table.kv.warn td { color: var(--warn); font-weight: 600; }
        td, code { overflow-wrap: anywhere; }
        .big { font-size: 18px; } .big strong { font-size: 30px; }
        .bar { display: flex; align-items: center; gap: 8px; font-size: 13px; margin: 3px 0; }
        .bar .name { width: 45%; } .bar .track { flex: 1; background: #eef1f4; height: 12px; border-radius: 3px; }
        .bar .fill { background: var(--blue3); height: 12px; border-radius: 3px; } .bar .n { width: 80px; text-align: right; }
        .picture { overflow-x: auto; } .picture svg { display: block; }
        .legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12px; color: var(--muted); margin: 6px 0; }
        .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border: 1px solid #bbb; }
        details.finding { border-left: 4px solid var(--line); padding: 4px 10px; margin: 6px 0; break-inside: avoid; }
        details.finding.critical, details.finding.high { border-color: var(--bad); } details.finding.medium { border-color: var(--warn); }
        summary { cursor: pointer; font-weight: 600; } .evidence, .command { font-size: 13px; margin: 4px 0; }
        h3.severity.critical, h3.severity.high { color: var(--bad); } h3.severity.medium { color: var(--warn); }
        footer { margin-top: 40px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); }
        @media print {
          body { max-width: none; padding: 0; font-size: 11pt; } nav { display: none; }
          * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          section { break-inside: auto; } h2, h3 { break-after: avoid; } tr, .bar, .tile { break-inside: avoid; }
          .picture { overflow: visible; } .picture svg { max-width: 100%; height: auto; }
          a { color: inherit; text-decoration: none; }
        }
        """

    /// The CSP source of ``script``: only this script may run, so text from the log that slipped
    /// past escaping could still not run as one. `AuditReportTests` recomputes it.
    static let scriptHash = "sha256-GpKXTzwMjT4E3X4ZG9blIa7e9RmwzEeciIYaQsYyB5E="

    /// Opens every finding's details for printing, and marks the page as drawn (a test reads it).
    static let script = """
        (function () {
          var all = document.querySelectorAll('details');
          window.addEventListener('beforeprint', function () { for (var i = 0; i < all.length; i++) { all[i].open = true; } });
          var cells = document.querySelectorAll('svg rect[data-day]');
          document.documentElement.setAttribute('data-report', 'ready ' + cells.length);
        })();
        """
}

/// Per-actor, per-day cells: blue by granted volume, orange where some access was unexplained,
/// a lower stripe red where requests were denied (grey where they failed).
struct ActivityPicture {
    let activity: AccessActivity
    let actors: [String]
    let firstDay: Int
    let lastDay: Int
    let language: ReportLanguage

    func draw(_ page: inout HTMLWriter) {
        let l = language
        let span = lastDay - firstDay + 1
        let daysPerColumn = max(1, (span + 119) / 120)  // at most 120 columns
        let columns = (span + daysPerColumn - 1) / daysPerColumn
        let gap = 1, rowHeight = 14, labelWidth = 170, top = 26
        let cell = min(20, max(6, 960 / columns - gap))  // a 90-day period gives 9-pixel days
        let width = max(labelWidth + 80, labelWidth + columns * (cell + gap) + 8)
        let height = top + actors.count * rowHeight + 6
        var grid: [String: [Int: AccessActivity.Counts]] = [:]
        let wanted = Set(actors)
        for day in activity.days where wanted.contains(day.actor) {
            grid[day.actor, default: [:]][(day.day - firstDay) / daysPerColumn, default: AccessActivity.Counts()].add(day.counts)
        }
        let busiest = grid.values.flatMap(\.values).map(\.granted).max() ?? 1

        page.raw("<div class=\"picture\"><svg role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-size=\"11\" font-family=\"system-ui, sans-serif\">")
        page.raw("<title>")
        page.text(l(.activity))
        page.raw("</title>")
        // Date ticks: the first column of each week (or of every 8th column when columns are longer).
        let tickEvery = daysPerColumn == 1 ? 7 : 8
        for column in stride(from: 0, to: columns, by: tickEvery) {
            let x = labelWidth + column * (cell + gap)
            let date = AccessActivity.calendarDate(ofDay: firstDay + column * daysPerColumn)
            page.raw("<line x1=\"\(x)\" y1=\"\(top - 4)\" x2=\"\(x)\" y2=\"\(height - 4)\" stroke=\"#e3e6ea\"/>")
            page.raw("<text x=\"\(x)\" y=\"\(top - 8)\" fill=\"#5b6473\">")
            page.text(String(l.date(date).dropFirst(5)))
            page.raw("</text>")
        }
        for (row, actor) in actors.enumerated() {
            let y = top + row * rowHeight
            page.raw("<text x=\"\(labelWidth - 6)\" y=\"\(y + 10)\" text-anchor=\"end\">")
            page.text(actor.count > 26 ? String(actor.prefix(25)) + "…" : actor)
            page.raw("</text>")
            for (column, counts) in (grid[actor] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let x = labelWidth + column * (cell + gap)
                let fill: String
                if counts.unexplained > 0 {
                    fill = "#f28e2b"
                } else if counts.granted > 0 {
                    let level = log(Double(counts.granted) + 1) / log(Double(busiest) + 1)
                    fill = level > 0.75 ? "#08306b" : level > 0.5 ? "#2171b5" : level > 0.25 ? "#6baed6" : "#c6dbef"
                } else {
                    fill = "#eef1f4"
                }
                let date = AccessActivity.calendarDate(ofDay: firstDay + column * daysPerColumn)
                page.raw("<rect data-day=\"\(column)\" x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"9\" fill=\"\(fill)\"><title>")
                page.text("\(actor) · \(l.date(date))\(daysPerColumn > 1 ? " +\(daysPerColumn - 1)" : ""): "
                          + "\(l.number(counts.granted)) \(l(.granted).lowercased()) (\(l.number(counts.unexplained)) \(l(.unexplained).lowercased())), "
                          + "\(l.number(counts.denied)) \(l(.denied).lowercased()), \(l.number(counts.failed)) \(l(.failed).lowercased()), "
                          + "\(l.number(counts.messagesSent)) \(l(.messagesSent).lowercased())")
                page.raw("</title></rect>")
                if counts.denied > 0 || counts.failed > 0 {
                    page.raw("<rect x=\"\(x)\" y=\"\(y + 10)\" width=\"\(cell)\" height=\"3\" fill=\"\(counts.denied > 0 ? "#d62728" : "#7f7f7f")\"/>")
                }
            }
        }
        page.raw("</svg></div>\n<div class=\"legend\">")
        for (color, label) in [("#eef1f4", l(.legendNone)), ("#2171b5", l(.legendExplained)), ("#f28e2b", l(.legendUnexplained)),
                               ("#d62728", l(.legendDenied)), ("#7f7f7f", l(.legendFailed))] {
            page.raw("<span><i style=\"background:\(color)\"></i>")
            page.text(label)
            page.raw("</span>")
        }
        page.raw("<span>")
        page.text(daysPerColumn == 1 ? l(.dayColumn) : String(format: l(.weekColumn), daysPerColumn))
        page.raw("</span></div>\n")
    }
}

/// Builds HTML text: everything that comes from the log goes through ``text(_:)``.
struct HTMLWriter {
    private(set) var output = ""

    init() {
        output.reserveCapacity(1 << 16)
    }

    mutating func raw(_ markup: String) {
        output += markup
    }

    /// `value` escaped for text and attribute values; control characters shown as escapes.
    mutating func text(_ value: String) {
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                    output += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
    }

    /// `<tag class="css">text</tag>`, the text escaped.
    mutating func element(_ tag: String, _ value: String, css: String? = nil) {
        raw("<\(tag)\(css.map { " class=\"\($0)\"" } ?? "")>")
        text(value)
        raw("</\(tag)>")
    }

    mutating func section(_ id: String, _ title: String) {
        raw("<section id=\"\(id)\"><h2>")
        text(title)
        raw("</h2>\n")
    }

    mutating func keyValues(_ rows: [(String, String)], css: String? = nil) {
        raw("<table class=\"kv\(css.map { " " + $0 } ?? "")\">")
        for (key, value) in rows {
            raw("<tr><th>")
            text(key)
            raw("</th><td>")
            text(value)
            raw("</td></tr>")
        }
        raw("</table>\n")
    }

    /// A table; the columns in `numeric` are right-aligned.
    mutating func table(header: [String], numeric: Set<Int>, rows: [[String]]) {
        func isNumeric(_ column: Int) -> Bool { numeric.contains(column) }
        raw("<table><thead><tr>")
        for (column, title) in header.enumerated() {
            raw(isNumeric(column) ? "<th class=\"num\">" : "<th>")
            text(title)
            raw("</th>")
        }
        raw("</tr></thead><tbody>")
        for row in rows {
            raw("<tr>")
            for (column, value) in row.enumerated() {
                raw(isNumeric(column) ? "<td class=\"num\">" : "<td>")
                text(value)
                raw("</td>")
            }
            raw("</tr>")
        }
        raw("</tbody></table>\n")
    }

    mutating func bars(_ items: [(name: String, count: Int)], language: ReportLanguage) {
        let top = max(1, items.map(\.1).max() ?? 1)
        for (name, value) in items {
            raw("<div class=\"bar\"><span class=\"name\">")
            text(name)
            raw("</span><span class=\"track\"><span class=\"fill\" style=\"display:block;width:\(String(format: "%.1f", 100 * Double(value) / Double(top)))%\"></span></span><span class=\"n\">")
            text(language.number(value))
            raw("</span></div>\n")
        }
    }
}

/// Shell quoting for commands a report or the CLI prints for the reader to run.
public enum ShellText {
    /// `raw` as one shell word: bare when it is plain, else single-quoted; control characters escaped.
    public static func quoted(_ raw: String) -> String {
        let text = AuditText.escaped(raw)  // never a control character on the terminal
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "@._-+:/=".unicodeScalars.contains($0)
        }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
