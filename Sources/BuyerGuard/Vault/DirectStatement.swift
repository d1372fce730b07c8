import Foundation
import GRDB
import GRDBSQLite

/// A value bound straight into a prepared SQLite statement.
enum DirectBinding {
    case null
    case integer(Int64)
    case text(String)
    case blob(Data)

    init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    init(_ value: Data?) { self = value.map { .blob($0) } ?? .null }
    init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    init(_ value: Int) { self = .integer(Int64(value)) }
}

extension Statement {
    /// Binds `values`, steps to the end calling `row` for each result row, then resets.
    ///
    /// Only for the import's hot statements, where GRDB's general argument handling cost more than
    /// the insert itself (measured: see docs/performance.md). These statements are cached and only
    /// ever run through this method; GRDB still owns the connection, the transaction and errors.
    func run(_ values: [DirectBinding], row: ((SQLiteStatement) -> Void)? = nil) throws {
        let statement = sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(statement, index)
            case .integer(let integer):
                code = sqlite3_bind_int64(statement, index, integer)
            case .text(var text):
                code = text.withUTF8 { utf8 in
                    sqlite3_bind_text(statement, index, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                      Int32(utf8.count), directTransient)
                }
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), directTransient)
                }
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding parameter \(index) failed", sql: sql)
            }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_ROW {
                row?(statement)
            } else if code == SQLITE_DONE {
                return
            } else {
                let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(statement)))
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
            }
        }
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes (the C macro does not import into Swift).
let directTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// Reads column `index` of the current row as bytes.
func directBlob(_ statement: SQLiteStatement, _ index: Int32) -> Data? {
    guard sqlite3_column_type(statement, index) != SQLITE_NULL else { return nil }
    let count = Int(sqlite3_column_bytes(statement, index))
    guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return Data() }
    return Data(bytes: pointer, count: count)
}
