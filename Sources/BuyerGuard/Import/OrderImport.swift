public import Foundation
import Dispatch
import Tracing

/// Options for importing order files.
public struct ImportOptions: Sendable {
    /// The text encoding of tab-separated reports; `nil` detects it (UTF-8 if every line is valid
    /// UTF-8, else Windows-1252, the usual fallback for EU marketplaces). Detection refuses a file
    /// that mixes UTF-8 lines with non-ASCII characters and lines that are not valid UTF-8.
    public var encoding: ReportEncoding?
    /// Orders per transaction for JSON input, whose orders are parsed whole (at most 2,000).
    /// A tab-separated report is written in transactions bounded by time instead: each holds the
    /// vault's write lock for about 200 ms when another writer waits (so it never waits much
    /// longer than that), and up to a second when none does.
    public var batchSize: Int = 2000
    /// How many rejected rows are kept for the summary (all are counted).
    public var maximumRejectedRowsKept = 1000
    /// Who imports, as recorded with the import's event in the audit log.
    public var actor = "buyerguard-import"
    /// Bytes of memory the check of a report may use to find orders whose rows are apart; beyond
    /// it, it works through temporary files (tests make it small to exercise them).
    var checkMemoryBudget = 8 << 20
    /// How long a write transaction may hold the vault's lock while no other writer waits (tests
    /// make it long, so that only a waiter's signal ends a transaction early).
    var uncontendedHoldCap = WriteLock.uncontendedHoldCap

    /// The defaults: detect the encoding, lock held about 200 ms per transaction while others wait.
    public init(encoding: ReportEncoding? = nil) {
        self.encoding = encoding
    }
}

/// Where an import is, for a progress bar.
public struct ImportProgress: Sendable {
    /// The two passes over a tab-separated or JSON Lines file.
    public enum Phase: String, Sendable {
        /// Reading the whole file before anything is written (a report's rows are all checked).
        case checking
        /// Writing the good orders.
        case importing
    }

    /// The file being read.
    public var file: String
    /// Which pass.
    public var phase: Phase
    /// Bytes of the file read so far in this pass.
    public var bytesDone: Int
    /// The file's size in bytes.
    public var bytesTotal: Int
}

/// What importing one file did.
public struct ImportFileSummary: Sendable, Codable {
    /// The file.
    public var file: String
    /// `tsv:order-report`, `tsv:unshipped-orders`, `tsv:all-orders`, `json` or `jsonl`.
    public var format: String
    /// The text encoding used (TSV only).
    public var encoding: ReportEncoding?
    /// Data rows (TSV lines, JSON orders) read.
    public var rowsRead = 0
    /// Data rows written (or found unchanged).
    public var rowsAccepted = 0
    /// Rows refused; their whole order was left out.
    public var rowsRejected = 0
    /// Distinct orders left out because one of their rows was bad.
    public var ordersSkipped = 0
    /// What the vault did with the good orders.
    public var stored = StoreSummary()
    /// The first rejected rows, with file, line and reason.
    public var rejected: [RejectedRow] = []
}

extension Vault {
    /// Imports a marketplace order file: a tab-separated order report (order report, Unshipped
    /// Orders, All Orders), the JSON of the marketplace API (`getOrders` response, an array of
    /// orders, or one order), or JSON Lines.
    ///
    /// Tab-separated reports are read twice, in constant memory: first every row is checked,
    /// then the orders whose rows are all good are written in transactions that each hold the
    /// vault's write lock for about 200 ms while another writer waits (up to a second while none
    /// does). An order with any bad row is left out whole, never half
    /// written. The rows of an order need not be adjacent: all of them must agree on the buyer and
    /// shipping details wherever they are, and an order whose rows are apart is written whole, after
    /// the others (finding those takes bounded memory and, for large files, temporary files).
    /// JSON Lines files are read whole before the first order is written too, so a line that cannot
    /// be read anywhere in the file leaves the vault as it was. Importing the same file again
    /// changes nothing.
    ///
    /// - Throws: ``BuyerGuardError/Code/malformedInput`` when the file is not an order file at all
    ///   (nothing is written); bad rows are reported in the summary instead.
    public func importOrders(
        from url: URL,
        options: ImportOptions = ImportOptions(),
        progress: @Sendable (ImportProgress) -> Void = { _ in }
    ) async throws -> ImportFileSummary {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw BuyerGuardError(.inputNotFound, "cannot read file (missing or no permission)", location: url.path)
        }
        let format = try OrderFileSniffer.format(of: url)
        try AuditText.requirePrintable(options.actor, as: "actor")
        let started = DispatchTime.now().uptimeNanoseconds
        let span = auditLog.instruments.tracer.startAnySpan("buyerguard.import", ofKind: .internal)
        defer { span.end() }
        let summary = try await journaled(.ordersImported, actor: options.actor, channel: .import,
                                          intentDetails: ["file": AuditText.escaped(url.lastPathComponent)]) {
            let summary: ImportFileSummary
            switch format {
            case .json:
                summary = try await importJSONDocument(from: url, options: options)
            case .jsonLines:
                summary = try await importJSONLines(from: url, options: options, size: size, progress: progress)
            case .tabSeparated:
                summary = try await importReport(from: url, options: options, size: size, progress: progress)
            }
            return (summary, [
                "file": AuditText.escaped(url.lastPathComponent), "format": summary.format, "rows-read": "\(summary.rowsRead)",
                "rows-rejected": "\(summary.rowsRejected)", "orders-new": "\(summary.stored.ordersInserted)",
                "orders-updated": "\(summary.stored.ordersUpdated)", "orders-unchanged": "\(summary.stored.ordersUnchanged)",
                "orders-skipped": "\(summary.ordersSkipped)",
            ])
        }
        auditLog.instruments.recordImport(format: summary.format, since: started)
        span.attributes["buyerguard.format"] = summary.format
        span.attributes["buyerguard.rows"] = summary.rowsRead
        span.attributes["buyerguard.rows_rejected"] = summary.rowsRejected
        logger.info("imported order file", metadata: [
            "file": "\(url.lastPathComponent)", "format": "\(summary.format)", "rows": "\(summary.rowsRead)",
            "rejected": "\(summary.rowsRejected)", "orders-new": "\(summary.stored.ordersInserted)",
        ])
        return summary
    }

    // MARK: Tab-separated reports

    private func importReport(
        from url: URL, options: ImportOptions, size: Int, progress: @Sendable (ImportProgress) -> Void
    ) async throws -> ImportFileSummary {
        let reader = LineReader(url: url)
        let scratch = ImportScratch()
        defer { scratch.remove() }
        let checkStarted = ContinuousClock.now
        let check = try await ReportCheck.run(
            reader: reader, encoding: options.encoding, keep: options.maximumRejectedRowsKept, fileSize: size,
            memoryBudget: options.checkMemoryBudget, scratch: scratch
        ) {
            progress(ImportProgress(file: url.path, phase: .checking, bytesDone: $0, bytesTotal: size))
        }
        logger.debug("import checked its report", metadata: [
            "rows": "\(check.rowsRead)", "scattered-orders": "\(check.orders.scatteredOrders)",
            "check-ms": "\((ContinuousClock.now - checkStarted) / .milliseconds(1))",
        ])
        var summary = ImportFileSummary(file: url.path, format: "tsv:\(check.layout.kind.rawValue)", encoding: check.encoding)
        summary.rowsRead = check.rowsRead
        summary.rowsRejected = check.rowsRejected
        summary.ordersSkipped = check.orders.ordersLeftOut
        summary.rejected = check.rejected

        // Orders are sealed a chunk (about a megabyte of the file) at a time, while the previous
        // chunk is written; a transaction lasts about ``WriteLock/holdBudget`` while another writer
        // waits, up to ``WriteLock/uncontendedHoldCap`` while none does.
        let writer = try makeBulkWriter(uncontendedHoldCap: options.uncontendedHoldCap)
        var pending: [MarketplaceOrder] = []
        var current: MarketplaceOrder?
        var fields: [Range<Int>] = []
        var inFlight: Task<StoreSummary, any Error>?
        var accepted = 0
        var seenHeader = false
        var runKey: UInt64?
        var passingOver = false

        /// Seals the pending orders, waits for the previous write, and starts writing these.
        func flush() async throws {
            guard !pending.isEmpty else { return }
            let prepared = try self.prepare(pending)
            pending.removeAll(keepingCapacity: true)
            try await awaitWrite()
            let now = clock.now
            inFlight = Task { try await writer.write(prepared, now: now) }
        }

        func awaitWrite() async throws {
            guard let previous = inFlight else { return }
            inFlight = nil
            summary.stored.add(try await previous.value)
        }

        do {
            try await reader.forEachLine(progress: { done in
                progress(ImportProgress(file: url.path, phase: .importing, bytesDone: done, bytesTotal: size))
            }) { line in
                if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                if !seenHeader { seenHeader = true; return }
                tabSeparatedFields(line.bytes, into: &fields)
                // Runs are delimited as in the check: the runs of orders left out, and of orders
                // whose rows are apart (written below), are passed over.
                guard let key = OrderReportRow.orderKey(line: line.bytes, fields: fields, layout: check.layout) else { return }
                if key != runKey {
                    runKey = key
                    passingOver = check.orders.passedOver.contains(line.number)
                }
                guard !passingOver,
                      let row = try? OrderReportRow.parse(line: line.bytes, fields: fields, layout: check.layout, encoding: check.encoding)
                else { return }
                accepted += 1
                if current?.id == row.orderID {
                    current!.merge(row)
                } else {
                    if let finished = current { pending.append(finished) }
                    current = MarketplaceOrder(row)
                }
            } afterChunk: {
                try await flush()
            }
            if let finished = current { pending.append(finished) }

            // Each order whose rows are apart in the file, read back from its runs and written whole.
            if check.orders.scatteredOrders > 0 {
                let rows = try LineRangeReader(url: url)
                var order: MarketplaceOrder?
                try await check.orders.runs.forEach { run in
                    if let finished = order, finished.id.key != run.key {
                        pending.append(finished)
                        order = nil
                        if pending.count >= Self.scatteredOrdersPerFlush { try await flush() }
                    }
                    try rows.forEachLine(in: run.start..<run.end) { bytes in
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
                        tabSeparatedFields(bytes, into: &fields)
                        guard OrderReportRow.orderKey(line: bytes, fields: fields, layout: check.layout) == run.key,
                              let row = try? OrderReportRow.parse(line: bytes, fields: fields, layout: check.layout, encoding: check.encoding)
                        else { return }
                        accepted += 1
                        if order == nil { order = MarketplaceOrder(row) } else { order!.merge(row) }
                    }
                }
                if let finished = order { pending.append(finished) }
            }
            try await flush()
            try await awaitWrite()
            try await writer.finish(commit: true)
            logger.debug("import wrote its orders", metadata: ["longest-lock-hold-ms": "\(writer.longestHold / .milliseconds(1))"])
        } catch {
            // Only whole orders were handed to the writer: commit those, so a rerun has less to do.
            if let previous = inFlight { _ = try? await previous.value }
            try? await writer.finish(commit: true)
            throw error
        }
        summary.rowsAccepted = accepted
        return summary
    }

    /// Scattered orders sealed and handed to the writer at a time.
    static let scatteredOrdersPerFlush = 2000

    // MARK: JSON

    /// Orders per transaction for JSON input (whose orders are parsed whole, so kept small).
    static let jsonBatchSize = 2000

    private func importJSONDocument(from url: URL, options: ImportOptions) async throws -> ImportFileSummary {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BuyerGuardError(.io, "cannot read file", location: url.path, underlying: "\(error)")
        }
        let objects = try MarketplaceAPIOrder.orderObjects(in: data, file: url.path)
        var summary = ImportFileSummary(file: url.path, format: "json")
        var batch: [MarketplaceOrder] = []
        for (index, object) in objects.enumerated() {
            summary.rowsRead += 1
            do {
                batch.append(try MarketplaceAPIOrder.order(from: object))
                summary.rowsAccepted += 1
            } catch {
                summary.reject(RejectedRow(file: url.path, line: index + 1, orderID: error.orderID?.rawValue, reason: error.reason),
                               keep: options.maximumRejectedRowsKept)
            }
            if batch.count >= min(options.batchSize, Self.jsonBatchSize) {
                summary.stored.add(try await write(try prepare(batch)))
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { summary.stored.add(try await write(try prepare(batch))) }
        summary.ordersSkipped = summary.rowsRejected
        return summary
    }

    private func importJSONLines(
        from url: URL, options: ImportOptions, size: Int, progress: @Sendable (ImportProgress) -> Void
    ) async throws -> ImportFileSummary {
        // First the whole file is read, as a report's check pass does: a line too long to read (or
        // a read error) anywhere refuses the file before any order is written. Per-line problems
        // (bad JSON, a bad order) are rejected rows of the second pass.
        let reader = LineReader(url: url)
        do {
            try await reader.forEachLine(progress: { done in
                progress(ImportProgress(file: url.path, phase: .checking, bytesDone: done, bytesTotal: size))
            }) { _ in }
        } catch var error as BuyerGuardError {
            error.message += " (nothing was imported)"
            throw error
        }

        var summary = ImportFileSummary(file: url.path, format: "jsonl")
        var batch: [MarketplaceOrder] = []
        var pendingWrites: [[MarketplaceOrder]] = []
        try await reader.forEachLine(progress: { done in
            progress(ImportProgress(file: url.path, phase: .importing, bytesDone: done, bytesTotal: size))
        }) { line in
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            summary.rowsRead += 1
            do {
                guard line.isTerminated || line.bytes.last == UInt8(ascii: "}") else {
                    throw OrderReportRow.Problem(reason: "last line is cut short")
                }
                let object = try JSONSerialization.jsonObject(with: Data(line.bytes))
                guard let dictionary = object as? [String: Any] else {
                    throw OrderReportRow.Problem(reason: "line is not a JSON object")
                }
                batch.append(try MarketplaceAPIOrder.order(from: dictionary))
                summary.rowsAccepted += 1
            } catch let problem as OrderReportRow.Problem {
                summary.reject(RejectedRow(file: url.path, line: line.number, orderID: problem.orderID?.rawValue, reason: problem.reason),
                               keep: options.maximumRejectedRowsKept)
            } catch {
                summary.reject(RejectedRow(file: url.path, line: line.number, orderID: nil, reason: "line is not valid JSON"),
                               keep: options.maximumRejectedRowsKept)
            }
            if batch.count >= min(options.batchSize, Self.jsonBatchSize) {
                pendingWrites.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        } afterChunk: {
            for pending in pendingWrites { summary.stored.add(try await self.write(try self.prepare(pending))) }
            pendingWrites.removeAll()
        }
        if !batch.isEmpty { summary.stored.add(try await write(try prepare(batch))) }
        summary.ordersSkipped = summary.rowsRejected
        return summary
    }
}

extension ImportFileSummary {
    mutating func reject(_ row: RejectedRow, keep: Int) {
        rowsRejected += 1
        if rejected.count < keep { rejected.append(row) }
    }
}

extension MarketplaceOrder {
    /// An order from its first report row.
    init(_ row: OrderReportRow) {
        self.init(
            id: row.orderID, marketplace: row.marketplace, purchaseDate: row.purchaseDate, paymentsDate: row.paymentsDate,
            status: row.status ?? .unshipped, shipServiceLevel: row.shipServiceLevel,
            items: row.item.map { [$0] } ?? [], contact: row.contact)
    }

    /// Adds a further item row of the same order.
    mutating func merge(_ row: OrderReportRow) {
        if let item = row.item {
            if let existing = items.firstIndex(where: { $0.orderItemID == item.orderItemID }) {
                items[existing] = item
            } else {
                items.append(item)
            }
        }
        for field in row.contact.presentFields where contact[field] == nil { contact[field] = row.contact[field] }
    }
}

/// The pass that reads a whole report before anything is written: bad rows, bad orders, encoding,
/// and orders whose rows are apart in the file.
struct ReportCheck {
    var layout: OrderReportLayout
    var encoding: ReportEncoding
    var rowsRead = 0
    var rowsRejected = 0
    /// Orders left out, and orders whose rows are apart, for the write pass.
    var orders: ScatteredOrders
    var rejected: [RejectedRow] = []

    static func run(
        reader: LineReader, encoding requested: ReportEncoding?, keep: Int, fileSize: Int, memoryBudget: Int,
        scratch: ImportScratch, progress: (Int) -> Void
    ) async throws -> ReportCheck {
        var layout: OrderReportLayout?
        // Lines by kind (first line, count): a file must not mix UTF-8 and another encoding.
        var utf8Lines = (first: 0, count: 0)
        var otherLines = (first: 0, count: 0)
        var rowsRead = 0
        var problems: [(line: Int, problem: OrderReportRow.Problem)] = []
        var problemCount = 0
        var fields: [Range<Int>] = []
        // The run being read (adjacent rows of one order), and its first good row's line once known.
        var run: OrderRun?
        var runContactLine: Int?
        let finder = ScatteredOrderFinder(fileSize: fileSize, memoryBudget: memoryBudget, scratch: scratch)
        let path = reader.url.path

        try await reader.forEachLine(progress: progress) { line in
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            let kind = ReportEncoding.kind(of: line.bytes)
            let lineIsUTF8 = kind != .notUTF8
            switch kind {
            case .ascii: break
            case .utf8:
                if utf8Lines.count == 0 { utf8Lines.first = line.number }
                utf8Lines.count += 1
            case .notUTF8:
                if otherLines.count == 0 { otherLines.first = line.number }
                otherLines.count += 1
            }
            tabSeparatedFields(line.bytes, into: &fields)
            guard let found = layout else {
                let header = (lineIsUTF8 ? ReportEncoding.utf8 : .windows1252).decode(line.bytes) ?? ""
                do throws(OrderReportLayout.HeaderProblem) {
                    layout = try OrderReportLayout(header: header.split(separator: "\t", omittingEmptySubsequences: false))
                } catch .noOrderID {
                    throw BuyerGuardError(
                        .malformedInput,
                        "the first line has no order-id column: not a tab-separated order report (nothing was imported)",
                        location: "\(path):\(line.number)")
                } catch .duplicate(let column, let first, let second) {
                    throw BuyerGuardError(
                        .malformedInput,
                        "the header has two \(column.rawValue) columns (\(first.name) in field \(first.field), "
                            + "\(second.name) in field \(second.field)): which one holds the value is ambiguous (nothing was imported)",
                        location: "\(path):\(line.number)")
                }
                return
            }
            rowsRead += 1
            // A row with a valid order id continues its order's run or starts a new one (the write
            // pass delimits runs the same way); a row without one belongs to no order.
            let key = OrderReportRow.orderKey(line: line.bytes, fields: fields, layout: found)
            if let key {
                if run?.key == key {
                    run!.end = line.byteRange.upperBound
                } else {
                    if let finished = run { try finder.add(finished) }
                    run = OrderRun(key: key, fingerprint: 0, line: line.number, start: line.byteRange.lowerBound, end: line.byteRange.upperBound)
                    runContactLine = nil
                }
            }
            func fail(_ problem: OrderReportRow.Problem) {
                problemCount += 1
                if problems.count < keep { problems.append((line.number, problem)) }
                if key != nil { run!.isBad = true }
            }
            let decodeAs: ReportEncoding = requested ?? (lineIsUTF8 ? .utf8 : .windows1252)
            do {
                let row = try OrderReportRow.parse(line: line.bytes, fields: fields, layout: found, encoding: decodeAs, depth: .check)
                if let first = runContactLine {
                    if row.contactFingerprint != run!.fingerprint { fail(.init(orderID: row.orderID, reason: Self.differ(from: first))) }
                } else {
                    run!.fingerprint = row.contactFingerprint
                    runContactLine = line.number
                }
            } catch let problem as OrderReportRow.Problem {
                fail(problem)
            }
        }
        if let finished = run { try finder.add(finished) }
        guard let layout else {
            throw BuyerGuardError(.malformedInput, "the file is empty: no header line", location: path)
        }
        if requested == nil, utf8Lines.count > 0, otherLines.count > 0 {
            // Read as Windows-1252, the UTF-8 lines' accents would turn into mojibake; read as
            // UTF-8, the other lines would be rejected. Neither is what the seller has.
            let fewerAreOther = otherLines.count <= utf8Lines.count
            func lines(_ count: Int) -> String { count == 1 ? "1 line" : "\(count) lines" }
            throw BuyerGuardError(
                .malformedInput,
                "the file mixes encodings (\(lines(utf8Lines.count)) UTF-8 with non-ASCII characters, "
                    + "\(lines(otherLines.count)) not valid UTF-8, Windows-1252?); this is the first of the "
                    + "\(fewerAreOther ? "non-UTF-8" : "UTF-8") ones. Read as either encoding, some "
                    + "lines' text would be garbled: convert the file to one encoding, or name the one to read it with "
                    + "(nothing was imported)",
                location: "\(path):\(fewerAreOther ? otherLines.first : utf8Lines.first)")
        }

        // Rows of one order that are apart: the same rule as for adjacent rows. A run whose buyer
        // or address differs from the order's first run is rejected, and the order left out.
        var conflicts: [(line: Int, problem: OrderReportRow.Problem)] = []
        let orders = try finder.finish { run, firstLine in
            problemCount += 1
            conflicts.append((run.line, .init(orderID: OrderID(key: run.key), reason: Self.differ(from: firstLine))))
            if conflicts.count >= 2 * keep + 16 {  // keep the earliest lines only, in bounded memory
                conflicts.sort { $0.line < $1.line }
                conflicts.removeLast(conflicts.count - keep)
            }
        }
        if !conflicts.isEmpty {
            problems = Array((problems + conflicts).sorted { $0.line < $1.line }.prefix(keep))
        }

        let encoding = requested ?? (otherLines.count == 0 ? .utf8 : .windows1252)
        var check = ReportCheck(layout: layout, encoding: encoding, rowsRead: rowsRead, rowsRejected: problemCount, orders: orders)
        check.rejected = problems.map {
            RejectedRow(file: path, line: $0.line, orderID: $0.problem.orderID?.rawValue, reason: $0.problem.reason)
        }
        return check
    }

    static func differ(from line: Int) -> String {
        "buyer or shipping details differ from those of the same order at line \(line)"
    }
}

/// Tells a JSON document, JSON Lines and a tab-separated report apart by their first bytes.
enum OrderFileSniffer {
    enum Format { case json, jsonLines, tabSeparated }

    static func format(of url: URL) throws -> Format {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw BuyerGuardError(.inputNotFound, "is a folder, not an order file (name the files in it)", location: url.path)
        }
        let ext = url.pathExtension.lowercased()
        if ext == "jsonl" || ext == "ndjson" { return .jsonLines }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw BuyerGuardError(.io, "cannot open file for reading", location: url.path)
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw BuyerGuardError(.malformedInput, "the file is empty", location: url.path)
        }
        if first == UInt8(ascii: "[") { return .json }
        if first == UInt8(ascii: "{") {
            if ext == "json" { return .json }
            // `{...}\n{...}` is JSON Lines; one document may span lines.
            if let newline = bytes.firstIndex(of: 0x0A),
               (try? JSONSerialization.jsonObject(with: Data(bytes[bytes.startIndex..<newline]))) != nil {
                return .jsonLines
            }
            return .json
        }
        return .tabSeparated
    }
}
