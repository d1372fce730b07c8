import Foundation

/// Parses the timestamps found in marketplace reports and API JSON, without locale surprises:
/// `2026-11-02T10:15:22+00:00`, `...Z`, `...+0100`, fractional seconds, `2026-11-02 10:15:22 UTC`,
/// and a bare date `2026-11-02` (midnight UTC). A day the calendar does not have (`2026-02-30`) is
/// refused, never rolled over into the next month.
enum TimestampParser {
    static func parse(_ text: Substring) -> Date? {
        var string = String(text)
        return string.withUTF8 { parse(bytes: $0) }
    }

    /// Parses UTF-8 bytes (trailing spaces allowed).
    static func parse(bytes raw: UnsafeBufferPointer<UInt8>) -> Date? {
        var end = raw.count
        while end > 0, raw[end - 1] == 0x20 { end -= 1 }
        let bytes = UnsafeBufferPointer(rebasing: raw[0..<end])
        guard bytes.count >= 10, bytes.count <= 40 else { return nil }
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var offsetSeconds = 0
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "T") || bytes[index] == 0x20 else { return nil }
            index += 1
            guard let h = number(2), expect(0x3A), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if expect(0x3A) {
                guard let s = number(2), s <= 60 else { return nil }
                second = s
                if expect(0x2E) || expect(0x2C) {
                    var scale = 0.1
                    while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                        fraction += Double(bytes[index] - 0x30) * scale
                        scale /= 10
                        index += 1
                    }
                }
            }
            var zone = bytes[index...].drop(while: { $0 == 0x20 })
            if zone.starts(with: Array("UTC".utf8)) || zone.starts(with: Array("GMT".utf8)) { zone = zone.dropFirst(3) }
            if zone.count == 1, zone.first == UInt8(ascii: "Z") || zone.first == UInt8(ascii: "z") { zone = zone.dropFirst() }
            if let sign = zone.first {
                guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
                let digits = zone.dropFirst().filter { $0 != UInt8(ascii: ":") }
                guard digits.count == 4 || digits.count == 2, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                let hours = digits.count == 4 ? value / 100 : value
                let minutes = digits.count == 4 ? value % 100 : 0
                guard hours <= 14, minutes < 60 else { return nil }
                offsetSeconds = (sign == UInt8(ascii: "+") ? 1 : -1) * (hours * 3600 + minutes * 60)
            }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// The number of days in `month` (1–12) of `year`, in the proleptic Gregorian calendar.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
