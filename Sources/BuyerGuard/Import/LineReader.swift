import Foundation

/// Reads a file line by line in fixed-size chunks: memory stays flat whatever the file's size.
///
/// Lines end at LF; a CR before the LF is dropped (CRLF files). A UTF-8 byte order mark at the
/// start of the file is skipped. The last line may lack its LF; ``Line/isTerminated`` tells.
struct LineReader {
    struct Line {
        /// 1-based line number in the file.
        var number: Int
        /// The line's bytes, without CR/LF. Valid only during the callback.
        var bytes: UnsafeBufferPointer<UInt8>
        /// Whether the line ended with LF (false only for a last line cut short).
        var isTerminated: Bool
        /// Where the line is in the file, with its CR/LF (and a byte order mark on line 1).
        var byteRange: Range<Int>
    }

    let url: URL
    var chunkSize = 1 << 20
    /// Lines longer than this are an error, not a reason to use unbounded memory.
    var maximumLineLength = 1 << 20

    /// Calls `body` for each line, `afterChunk` after the lines of each chunk (a point where the
    /// caller may flush work), and `progress` with the bytes consumed so far.
    func forEachLine(
        progress: (Int) -> Void = { _ in },
        _ body: (Line) throws -> Void,
        afterChunk: () async throws -> Void = {}
    ) async throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw BuyerGuardError(.io, "cannot open file for reading", location: url.path)
        }
        defer { try? handle.close() }
        var pending = [UInt8]()
        pending.reserveCapacity(chunkSize)
        var lineNumber = 0
        var consumed = 0
        var atStart = true
        var pendingOffset = 0  // file offset of pending[0]

        func emit(_ slice: UnsafeBufferPointer<UInt8>, at offset: Int, terminated: Bool) throws {
            lineNumber += 1
            let byteRange = offset..<(offset + slice.count + (terminated ? 1 : 0))
            var line = slice
            if atStart {
                atStart = false
                if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                    line = UnsafeBufferPointer(rebasing: line[3...])
                }
            }
            if let last = line.last, last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            try body(Line(number: lineNumber, bytes: line, isTerminated: terminated, byteRange: byteRange))
        }

        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw BuyerGuardError(.io, "read failed after line \(lineNumber)", location: url.path, underlying: "\(error)")
            }
            if chunk.isEmpty { break }
            consumed += chunk.count
            pending.append(contentsOf: chunk)
            let used: Int = try pending.withUnsafeBufferPointer { buffer in
                var start = 0
                while let newline = buffer[start...].firstIndex(of: 0x0A) {
                    try emit(UnsafeBufferPointer(rebasing: buffer[start..<newline]), at: pendingOffset + start, terminated: true)
                    start = newline + 1
                }
                return start
            }
            pending.removeFirst(used)
            pendingOffset += used
            if pending.count > maximumLineLength {
                throw BuyerGuardError(
                    .malformedInput, "line is longer than \(maximumLineLength) bytes: not an order file",
                    location: "\(url.path):\(lineNumber + 1)")
            }
            progress(consumed - pending.count)
            try await afterChunk()
        }
        if !pending.isEmpty {
            try pending.withUnsafeBufferPointer { try emit($0, at: pendingOffset, terminated: false) }
        }
        progress(consumed)
    }
}

/// Reads the lines of byte ranges of a file (``LineReader/Line/byteRange``s joined) through one
/// open descriptor: the runs of an order whose rows are apart in a report, read back to write
/// the order whole. A range is read at once: it holds one order's rows.
final class LineRangeReader {
    private let url: URL
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    init(url: URL) throws {
        self.url = url
        descriptor = Foundation.open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw BuyerGuardError(.io, "cannot open file for reading", location: url.path, underlying: String(cString: strerror(errno)))
        }
    }

    deinit { Foundation.close(descriptor) }

    /// Calls `body` with each line of `range`, without its CR/LF.
    func forEachLine(in range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: range.count))
        let read = buffer.withUnsafeMutableBytes { bytes -> Int in
            var done = 0
            while done < bytes.count {
                let count = pread(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(range.lowerBound + done))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return count < 0 ? -1 : done }
                done += count
            }
            return done
        }
        if read < 0 {
            throw BuyerGuardError(.io, "read failed", location: url.path, underlying: String(cString: strerror(errno)))
        }
        guard read == range.count else {
            throw BuyerGuardError(.io, "the file changed while it was imported (it is shorter than it was)", location: url.path)
        }
        try buffer.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                let newline = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                var end = newline
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                try body(UnsafeBufferPointer(rebasing: bytes[start..<end]))
                start = newline + 1
            }
        }
    }
}
