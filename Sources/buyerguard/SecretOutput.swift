import BuyerGuard
import Foundation

/// A file the CLI writes that others must neither read nor redirect (a canary list, an exported
/// checkpoint): created new with mode 0600 without following a symbolic link, or, for a list that
/// grows, an existing regular file that this user owns and that only they can read. Opened before
/// the work it records is done, so a bad path fails first and changes nothing.
final class SecretOutput {
    let path: String
    private var fd: Int32
    private let created: Bool

    private init(path: String, fd: Int32, created: Bool) {
        self.path = path
        self.fd = fd
        self.created = created
    }

    /// Creates `path`; refuses an existing file (or link) and names a missing folder.
    static func create(_ path: String) throws -> SecretOutput {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(path, errno) }
        return SecretOutput(path: path, fd: fd, created: true)
    }

    /// Writes each file whole or not at all, for outputs that are made again (a report, its data):
    /// every file goes to a new temporary name beside its place (unique to this run), made
    /// durable, and only when all are written are they renamed over their places (a link there is
    /// replaced, not followed). A failure leaves every old file as it was and no temporary behind.
    static func replace(_ files: [(path: String, data: Data)], mode: mode_t = 0o644) throws {
        var written: [(partial: String, path: String)] = []
        defer { for file in written { unlink(file.partial) } }  // whatever was not renamed
        for (path, data) in files {
            let partial = "\(path).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            guard fd >= 0 else { throw failure(path, errno) }
            written.append((partial, path))
            try SecretOutput(path: path, fd: fd, created: true).finish(writing: data)
        }
        while let file = written.first {
            guard rename(file.partial, file.path) == 0 else { throw failure(file.path, errno) }
            written.removeFirst()
        }
    }

    /// Opens `path` to append to it, creating it if missing.
    static func appending(_ path: String) throws -> SecretOutput {
        let fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return try create(path) }
            throw failure(path, errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw BuyerGuardError(.io, "not a regular file; refusing to write a secret list there", location: path)
        }
        guard info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            close(fd)
            throw BuyerGuardError(
                .insecureKeyFile,
                "the file is \(info.st_uid == geteuid() ? "readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8)))" : "owned by uid \(info.st_uid), not by you (uid \(geteuid()))"); refusing to add secrets to it. Use a new file",
                location: path)
        }
        return SecretOutput(path: path, fd: fd, created: false)
    }

    private static func failure(_ path: String, _ code: Int32) -> BuyerGuardError {
        let folder = (path as NSString).deletingLastPathComponent
        switch code {
        case EEXIST: return BuyerGuardError(.alreadyExists, "a file (or link) already exists here; refusing to overwrite it: choose a new name", location: path)
        case ELOOP: return BuyerGuardError(.io, "this is a symbolic link; refusing to follow it for a secret file", location: path)
        case ENOENT: return BuyerGuardError(.io, "the folder \(folder.isEmpty ? "." : folder) does not exist", location: path)
        case EACCES: return BuyerGuardError(.io, "no permission to write here", location: path)
        default: return BuyerGuardError(.io, "cannot open for writing: \(String(cString: strerror(code)))", location: path)
        }
    }

    /// Writes `data` and makes it durable, then closes the file.
    func finish(writing data: Data) throws {
        defer { closeOnce() }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else {
            throw BuyerGuardError(.io, "cannot write the file: \(String(cString: strerror(errno)))", location: path)
        }
    }

    /// Gives up: closes the file, and removes it if this created it.
    func abandon() {
        closeOnce()
        if created { unlink(path) }
    }

    private func closeOnce() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { closeOnce() }
}
