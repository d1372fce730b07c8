import BuyerGuard
public import Foundation

/// What earlier scans already reported, kept in a small JSON file so that a daily cron run of
/// `buyerguard audit scan --state FILE` reports only new findings.
///
/// The file holds fingerprints (``Finding/fingerprint``: rule, actor, start time, first entry)
/// and when each was first reported; no personal data. It is replaced atomically, so a scan
/// killed halfway leaves the previous state. Every fingerprint is kept (about 100 bytes each):
/// the log is append-only, so an old finding is found again by every later scan and must stay
/// known as reported.
public struct ReportedFindings: Sendable, Codable, Equatable {
    /// Format version of the file.
    public var version = 1
    /// Fingerprint → when it was first reported.
    public var reported: [String: Date] = [:]
    /// When the scans that used this file ran, oldest first (the newest ``maximumRuns``): the scan
    /// schedule that `compliance evidence` shows.
    public var runs: [Date] = []

    /// Runs kept in ``runs``.
    public static let maximumRuns = 1000

    /// An empty state.
    public init() {}

    private enum CodingKeys: String, CodingKey { case version, reported, runs }

    /// Reads a state; files written before ``runs`` existed have none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        reported = try container.decode([String: Date].self, forKey: .reported)
        runs = try container.decodeIfPresent([Date].self, forKey: .runs) ?? []
    }

    /// Reads `url`; a missing file is an empty state (the first run), anything unreadable an error.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            self = try decoder.decode(Self.self, from: Data(contentsOf: url))
        } catch {
            throw BuyerGuardError(.malformedInput, "the scan state file is not one BuyerGuard wrote (delete it to start over)",
                                  location: url.path, underlying: "\(error)")
        }
        guard version == 1 else {
            throw BuyerGuardError(.unsupportedFormat, "scan state file version \(version) is newer than this BuyerGuard", location: url.path)
        }
    }

    /// The findings not reported before, and records them as reported at `now`.
    /// Integrity findings are always returned: a damaged log stays damaged.
    public mutating func takeNew(_ findings: [Finding], now: Date) -> [Finding] {
        runs.append(now)
        if runs.count > Self.maximumRuns { runs.removeFirst(runs.count - Self.maximumRuns) }
        return findings.filter { finding in
            if finding.rule == DetectionRules.Rule.logIntegrity.rawValue { return true }
            return reported.updateValue(reported[finding.fingerprint] ?? now, forKey: finding.fingerprint) == nil
        }
    }

    /// Writes the state to `url` atomically (a temporary file beside it, then a rename).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        do {
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw BuyerGuardError(.io, "cannot write the scan state file", location: url.path, underlying: "\(error)")
        }
    }
}
