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

        func emit(_ slice: UnsafeBufferPointer<UInt8>, terminated: Bool) throws {
            lineNumber += 1
            var line = slice
            if atStart {
                atStart = false
                if line.count >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF {
                    line = UnsafeBufferPointer(rebasing: line[3...])
                }
            }
            if let last = line.last, last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            try body(Line(number: lineNumber, bytes: line, isTerminated: terminated))
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
                    try emit(UnsafeBufferPointer(rebasing: buffer[start..<newline]), terminated: true)
                    start = newline + 1
                }
                return start
            }
            pending.removeFirst(used)
            if pending.count > maximumLineLength {
                throw BuyerGuardError(
                    .malformedInput, "line is longer than \(maximumLineLength) bytes: not an order file",
                    location: "\(url.path):\(lineNumber + 1)")
            }
            progress(consumed - pending.count)
            try await afterChunk()
        }
        if !pending.isEmpty {
            try pending.withUnsafeBufferPointer { try emit($0, terminated: false) }
        }
        progress(consumed)
    }
}
