public import Foundation

extension Vault {
    /// Reads a **support-case feed**: a tab-separated export of the seller's support cases (the
    /// marketplace's buyer-message notifications saved as a table, or a help desk's ticket list),
    /// one row per case, with the columns `case-id` (or `ticket-id`), `order-id`, `opened-at` (or
    /// `created-at`: when the buyer's message arrived), and optionally `handler` (or `assignee`)
    /// and `closed-at` (or `solved-at`). Other columns are ignored.
    ///
    /// Each row records, through ``recordCase(_:caseID:for:actor:channel:)``, what the vault does
    /// not know yet: the opening of a new case, a handler other than the recorded one, a closing.
    /// Reading the same file again records nothing. Rows whose case belongs to another order, whose
    /// order the vault does not hold, or whose dates cannot be read are reported in
    /// ``FeedImportSummary/rejected`` and change nothing; a file without the needed columns is
    /// refused before anything is recorded.
    public func importCases(from url: URL, actor: String, channel: AccessChannel = .cli) async throws -> FeedImportSummary {
        var summary = FeedImportSummary(format: "support-cases")
        var rows: [(line: Int, caseID: String, order: OrderID, opened: Date?, handler: String?, closed: Date?)] = []
        try await FeedTable(url: url).forEachRow(header: { names, location in
            let missing = [("case-id", "ticket-id"), ("order-id", "order-id")].filter { names[$0.0] == nil && names[$0.1] == nil }
            guard missing.isEmpty else {
                throw BuyerGuardError(.malformedInput, "the first line has no \(missing.map(\.0).joined(separator: " or ")) column: not a support-case feed",
                                      location: location)
            }
        }) { row in
            summary.rowsRead += 1
            func reject(_ reason: String, _ order: String? = nil) {
                summary.rejected.append(RejectedRow(file: url.path, line: row.line, orderID: order, reason: reason))
            }
            guard let rawID = row["order-id"], let orderID = try? OrderID(rawID) else {
                return reject("order-id is not in the form NNN-NNNNNNN-NNNNNNN")
            }
            guard let caseID = row["case-id"] ?? row["ticket-id"] else { return reject("case-id is empty", rawID) }
            func date(_ names: String...) -> (Date?, ok: Bool) {
                guard let text = names.lazy.compactMap({ row[$0] }).first else { return (nil, true) }
                let parsed = TimestampParser.parse(Substring(text))
                return (parsed, parsed != nil)
            }
            let opened = date("opened-at", "created-at"), closed = date("closed-at", "solved-at")
            guard opened.ok else { return reject("opened-at is not a date", rawID) }
            guard closed.ok else { return reject("closed-at is not a date", rawID) }
            rows.append((row.line, caseID, orderID, opened.0, row["handler"] ?? row["assignee"], closed.0))
        }
        for row in rows {
            var recorded = false
            do {
                var state = try supportCase(row.caseID)
                if state == nil {
                    guard let opened = row.opened else {
                        summary.rejected.append(RejectedRow(file: url.path, line: row.line, orderID: row.order.rawValue,
                                                            reason: "opened-at is empty and the case was never opened"))
                        continue
                    }
                    try await recordCase(.opened(at: opened), caseID: row.caseID, for: row.order, actor: actor, channel: channel)
                    recorded = true
                    state = SupportCaseState(orderID: row.order.rawValue, handler: nil, closed: false)
                } else if state?.orderID != row.order.rawValue {
                    summary.rejected.append(RejectedRow(file: url.path, line: row.line, orderID: row.order.rawValue,
                                                        reason: "case \(AuditText.escaped(row.caseID)) belongs to another order"))
                    continue
                }
                if let handler = row.handler, state?.handler != handler {
                    try await recordCase(.assigned(to: handler), caseID: row.caseID, for: row.order, actor: actor, channel: channel)
                    recorded = true
                }
                if let closed = row.closed, state?.closed == false {
                    try await recordCase(.closed(at: closed), caseID: row.caseID, for: row.order, actor: actor, channel: channel)
                    recorded = true
                }
            } catch let error as BuyerGuardError where error.code == .orderNotFound {
                summary.unknownOrders += 1
                summary.rejected.append(RejectedRow(file: url.path, line: row.line, orderID: row.order.rawValue, reason: "order is not in the vault"))
            } catch let error as BuyerGuardError where error.code == .invalidArgument {
                summary.rejected.append(RejectedRow(file: url.path, line: row.line, orderID: row.order.rawValue, reason: error.message))
            }
            if recorded { summary.ordersUpdated += 1 }
        }
        return summary
    }
}
