import Foundation

/// Rows of one order that follow each other in a report: a run. Most orders are one run; an order
/// whose rows are apart (a report sorted by SKU, a correction appended at the end) is several.
///
/// Runs are written to temporary files as their raw bytes: every stored property is 8 bytes wide,
/// so there is no padding, whose bytes would be whatever the memory held before.
struct OrderRun {
    /// The order, as ``OrderID/key``.
    var key: UInt64
    /// The contact fingerprint of the run's rows (see ``OrderReportRow/contactFingerprint``).
    var fingerprint: Int
    /// The run's first line: it names the run in ``ScatteredOrders/passedOver``.
    var line: Int
    /// Where the run's lines are in the file.
    var start: Int
    var end: Int
    private var badFlag = 0

    /// Whether one of its rows was rejected (so the whole order is left out).
    var isBad: Bool {
        get { badFlag != 0 }
        set { badFlag = newValue ? 1 : 0 }
    }

    init(key: UInt64, fingerprint: Int, line: Int, start: Int, end: Int, isBad: Bool = false) {
        (self.key, self.fingerprint, self.line, self.start, self.end) = (key, fingerprint, line, start, end)
        self.isBad = isBad
    }
}

/// What ``ScatteredOrderFinder`` found, for the write pass.
struct ScatteredOrders {
    /// The first lines of the runs the write pass passes over as it streams: those of orders left
    /// out, and those of orders whose rows are apart (written whole from ``runs`` instead).
    var passedOver = LineSet()
    /// Orders left out: one of their rows was bad, or their runs disagree.
    var ordersLeftOut = 0
    /// Good orders whose rows are apart.
    var scatteredOrders = 0
    /// Their runs, grouped by order, each order's in file order.
    var runs: RunSpool
}

/// Finds, in memory bounded whatever the size of the file, the orders of a report whose rows are
/// not all adjacent, so that they are held to the same rule as adjacent rows (one buyer and one
/// shipping address per order) and written whole; and tells the write pass which runs to pass
/// over, one bit per line rather than one entry per order.
///
/// Each run is filed, by a hash of its order, into one of several partitions; a partition stays in
/// memory up to its share of the budget and is appended to a temporary file past it. Afterwards
/// one partition at a time is read back and sorted by order. The number of partitions grows with
/// the file's size so that each fits the budget.
///
/// The temporary files (in an ``ImportScratch`` folder) hold order ids as numbers, line numbers,
/// byte offsets and contact fingerprints: a keyed hash whose key lives only in this process.
final class ScatteredOrderFinder {
    private let partitions: [RunSpool]
    private let scratch: ImportScratch

    /// - Parameters:
    ///   - fileSize: the report's size, from which the number of runs is estimated (one per
    ///     100 bytes: report lines are longer).
    ///   - memoryBudget: bytes of runs held in memory at once, in buffers or while sorting one partition.
    init(fileSize: Int, memoryBudget: Int, scratch: ImportScratch) {
        let stride = MemoryLayout<OrderRun>.stride
        let half = max(memoryBudget / 2, stride * 64)
        let estimated = fileSize / 100 * stride
        let count = min(max((estimated + half - 1) / half, 1), 512)
        let capacity = max(half / count / stride, 16)
        partitions = (0..<count).map { index in RunSpool(capacity: capacity, scratch: scratch, name: "runs-\(index)") }
        self.scratch = scratch
    }

    /// Files a finished run.
    func add(_ run: OrderRun) throws {
        let hash = (run.key &* 0x9E37_79B9_7F4A_7C15) >> 32
        try partitions[Int(hash % UInt64(partitions.count))].append(run)
    }

    /// Reads back every partition, one at a time, and sorts out the orders:
    ///
    /// - an order with a bad run is left out;
    /// - an order with several runs is left out if their fingerprints differ (`conflict` is
    ///   called with each run unlike the first, and the first's line), else it is scattered;
    /// - the runs of both are added to ``ScatteredOrders/passedOver``, those of scattered orders
    ///   to ``ScatteredOrders/runs`` too.
    func finish(conflict: (_ run: OrderRun, _ firstLine: Int) -> Void) throws -> ScatteredOrders {
        var found = ScatteredOrders(runs: RunSpool(capacity: partitions.first?.capacity ?? 16, scratch: scratch, name: "scattered"))
        for partition in partitions {
            var all = try partition.readAll()
            partition.discard()
            all.sort { ($0.key, $0.line) < ($1.key, $1.line) }
            var start = 0
            while start < all.count {
                var end = start + 1
                while end < all.count, all[end].key == all[start].key { end += 1 }
                let order = all[start..<end]  // one order's runs, in file order
                start = end
                guard let first = order.first, order.count > 1 || first.isBad else { continue }
                for run in order { found.passedOver.insert(run.line) }
                if order.contains(where: \.isBad) {
                    found.ordersLeftOut += 1
                    continue
                }
                let unlike = order.dropFirst().filter { $0.fingerprint != first.fingerprint }
                if unlike.isEmpty {
                    found.scatteredOrders += 1
                    for run in order { try found.runs.append(run) }
                } else {
                    found.ordersLeftOut += 1
                    for run in unlike { conflict(run, first.line) }
                }
            }
        }
        return found
    }
}

/// A set of line numbers, as one bit per line up to the highest (nothing until the first insert).
struct LineSet {
    private var words: [UInt64] = []

    var isEmpty: Bool { words.isEmpty }

    mutating func insert(_ line: Int) {
        let word = line >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: max(word + 1 - words.count, words.count))) }
        words[word] |= 1 << UInt64(line & 63)
    }

    func contains(_ line: Int) -> Bool {
        let word = line >> 6
        return word < words.count && words[word] & (1 << UInt64(line & 63)) != 0
    }
}

/// Order runs appended in memory and, past `capacity` of them, to a temporary file; read back in
/// the order they were appended.
final class RunSpool {
    let capacity: Int
    private let scratch: ImportScratch
    private let name: String
    private var buffer: [OrderRun] = []
    private var file: FileHandle?
    private var fileURL: URL?
    private var spilled = 0

    init(capacity: Int, scratch: ImportScratch, name: String) {
        self.capacity = capacity
        self.scratch = scratch
        self.name = name
    }

    deinit { try? file?.close() }

    /// Runs appended so far.
    var count: Int { spilled + buffer.count }

    func append(_ run: OrderRun) throws {
        buffer.append(run)
        if buffer.count >= capacity { try spill() }
    }

    private func spill() throws {
        if file == nil {
            let url = try scratch.newFile(name)
            do { file = try FileHandle(forWritingTo: url) } catch {
                throw BuyerGuardError(.io, "cannot write a temporary file of the import", location: url.path, underlying: "\(error)")
            }
            fileURL = url
        }
        let data = buffer.withUnsafeBytes { Data($0) }
        do { try file!.write(contentsOf: data) } catch {
            throw BuyerGuardError(.io, "cannot write a temporary file of the import (disk full?)", location: fileURL?.path,
                                  underlying: "\(error)")
        }
        spilled += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    /// Every run, in order (for a partition, which fits in memory by construction).
    func readAll() throws -> [OrderRun] {
        var all: [OrderRun] = []
        all.reserveCapacity(count)
        try forEachBlock { all.append(contentsOf: $0) }
        return all
    }

    /// The runs in order, `capacity` at a time from the file, then those still in memory.
    func forEach(_ body: (OrderRun) async throws -> Void) async throws {
        var offset: UInt64 = 0
        while let block = try readBlock(at: &offset) {
            for run in block { try await body(run) }
        }
        for run in buffer { try await body(run) }
    }

    private func forEachBlock(_ body: ([OrderRun]) -> Void) throws {
        var offset: UInt64 = 0
        while let block = try readBlock(at: &offset) { body(block) }
        body(buffer)
    }

    /// The next block of spilled runs from `offset`, or `nil` at the end of the file.
    private func readBlock(at offset: inout UInt64) throws -> [OrderRun]? {
        guard let fileURL, spilled > 0 else { return nil }
        let stride = MemoryLayout<OrderRun>.stride
        guard offset < UInt64(spilled * stride) else { return nil }
        let data: Data
        do {
            let reader = try FileHandle(forReadingFrom: fileURL)
            defer { try? reader.close() }
            try reader.seek(toOffset: offset)
            data = try reader.read(upToCount: capacity * stride) ?? Data()
        } catch {
            throw BuyerGuardError(.io, "cannot read a temporary file of the import", location: fileURL.path, underlying: "\(error)")
        }
        guard data.count > 0, data.count.isMultiple(of: stride) else {
            throw BuyerGuardError(.io, "a temporary file of the import was cut short", location: fileURL.path)
        }
        offset += UInt64(data.count)
        return data.withUnsafeBytes { bytes in
            [OrderRun](unsafeUninitializedCapacity: data.count / stride) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                initialized = data.count / stride
            }
        }
    }

    /// Frees the memory and the file.
    func discard() {
        buffer = []
        try? file?.close()
        file = nil
        if let fileURL { try? FileManager.default.removeItem(at: fileURL) }
        fileURL = nil
        spilled = 0
    }
}

/// A private temporary folder for one import's spill files, made when the first one is needed
/// and removed, with everything in it, by ``remove()``.
final class ImportScratch {
    private var folder: URL?

    /// Creates an empty file (mode 0600) named `name` in the folder.
    func newFile(_ name: String) throws -> URL {
        let fileManager = FileManager.default
        if folder == nil {
            let url = fileManager.temporaryDirectory.appendingPathComponent("buyerguard-import-\(UUID().uuidString)")
            do {
                try fileManager.createDirectory(at: url, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            } catch {
                throw BuyerGuardError(.io, "cannot create a temporary folder for the import", location: url.path, underlying: "\(error)")
            }
            folder = url
        }
        let url = folder!.appendingPathComponent(name)
        guard fileManager.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BuyerGuardError(.io, "cannot create a temporary file of the import", location: url.path)
        }
        return url
    }

    /// The folder, once a file was made in it (the import spilled to disk).
    var url: URL? { folder }

    func remove() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
        folder = nil
    }
}

extension OrderID {
    /// The id's 17 digits as one number: `402-1234567-7654321` is 40212345677654321. One per id (the
    /// dashes are always in the same places), and a fraction of the memory of the text.
    var key: UInt64 {
        var value: UInt64 = 0
        for byte in rawValue.utf8 where byte != UInt8(ascii: "-") { value = value * 10 + UInt64(byte - 0x30) }
        return value
    }

    /// The key of id bytes already checked with ``isValid(_:)``.
    static func key(validated bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var value: UInt64 = 0
        for byte in bytes where byte != UInt8(ascii: "-") { value = value * 10 + UInt64(byte - 0x30) }
        return value
    }

    /// The id a ``key`` stands for.
    init(key: UInt64) {
        let digits = String(key)
        let padded = String(repeating: "0", count: max(17 - digits.count, 0)) + digits
        let characters = Array(padded)
        self.init(validated: String(characters[0..<3]) + "-" + String(characters[3..<10]) + "-" + String(characters[10..<17]))
    }
}
