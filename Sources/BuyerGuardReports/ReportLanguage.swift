import BuyerGuard
import BuyerGuardDetect
public import Foundation

/// The language of a report's labels. Finding explanations stay as the scanner wrote them (English).
public enum ReportLanguage: String, Sendable, CaseIterable, Codable {
    /// English.
    case english = "en"
    /// Italian.
    case italian = "it"

    /// The language of `environment`'s locale (`LC_ALL`, then `LC_MESSAGES`, then `LANG`): Italian
    /// for `it…`, else English.
    public static func fromLocale(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> ReportLanguage {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        return locale.lowercased().hasPrefix("it") ? .italian : .english
    }

    /// The label `key` in this language.
    func callAsFunction(_ key: ReportLabel) -> String {
        switch self {
        case .english: key.english
        case .italian: key.italian
        }
    }

    /// A date, `yyyy-MM-dd` (UTC), the same in both languages.
    func date(_ date: Date) -> String {
        let parts = Self.utc.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// A time, `yyyy-MM-dd HH:mm UTC`, the same in both languages.
    func time(_ date: Date) -> String {
        let parts = Self.utc.dateComponents([.hour, .minute], from: date)
        return self.date(date) + String(format: " %02d:%02d UTC", parts.hour ?? 0, parts.minute ?? 0)
    }

    /// The Gregorian calendar in UTC: a page formats thousands of dates (a title per cell), and a
    /// formatter made per date was most of the page's time.
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// A whole number with the language's grouping.
    func number(_ value: some BinaryInteger) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(self == .italian ? "." : ",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// A share (0...1) as a percentage with one decimal.
    func percent(_ share: Double) -> String {
        let text = String(format: "%.1f", share * 100)
        return (self == .italian ? text.replacingOccurrences(of: ".", with: ",") : text) + " %"
    }

}

/// Every label a report prints, in each language.
enum ReportLabel {
    case title, generated, vault, logOnly, contents
    case coverage, entriesInLog, entriesCovered, period, filterActor, filterPeriod, canariesWatched, rulesOff, none, allActors, timeZone
    case integrity, intact, untrusted, tampered, chainOf, checkpointsVerified, newestCheckpoint, noCheckpoint, exportedCheckpoint, notChecked
    case trustedKey, warnings, problems
    case explanation, explainedShare, explainedNote, granted, unexplained, denied, failed, messagesSent, requests, byPurpose
    case activity, activityNote, actor, days, dayColumn, weekColumn, legendExplained, legendUnexplained, legendDenied, legendFailed
    case legendNone, moreActors, activeDays
    case findings, noFindings, rule, when, evidence, entries, orders, listEntries, moreFindings
    case denials, reason, count, noDenials
    case retention, rule30, ordersWithPII, ordersPastRetention, oldestRetentionEnd, purgeOverdue, purgeNotDue, ordersWithoutDates
    case piiRemoved, runs, noRuns, kind, details, notFromVault
    case keys, role, version, state, created, age, daysOld, primary, active, retired, keyEvents, noKeyEvents
    case otherMaintenance, footer

    var english: String {
        switch self {
        case .title: "Audit report"
        case .generated: "Generated"
        case .vault: "Vault"
        case .logOnly: "a copy of the log alone (no vault)"
        case .contents: "Contents"
        case .coverage: "What this report covers"
        case .entriesInLog: "Entries in the log"
        case .entriesCovered: "Entries covered"
        case .period: "Period"
        case .filterActor: "Actor"
        case .filterPeriod: "Filter"
        case .canariesWatched: "Canary orders watched"
        case .rulesOff: "Rules switched off"
        case .none: "none"
        case .allActors: "all actors"
        case .timeZone: "Days and hours counted in"
        case .integrity: "Integrity of the log"
        case .intact: "The log verified: its hash chain and every checkpoint signature are intact."
        case .tampered: "The log FAILED verification: it was altered."
        case .untrusted: "The log's hash chain is intact, but its signatures were checked only against the key this copy carries, which whoever held the copy could have replaced: pass --public-key or --checkpoint to verify it against a key you trust."
        case .chainOf: "Entries in the chain"
        case .checkpointsVerified: "Signed checkpoints verified"
        case .newestCheckpoint: "Newest checkpoint in the log"
        case .noCheckpoint: "no checkpoint signed yet"
        case .exportedCheckpoint: "Exported checkpoint checked against"
        case .notChecked: "none given (pass --checkpoint FILE to check against a copy kept elsewhere)"
        case .trustedKey: "Signing key trusted"
        case .warnings: "Warnings"
        case .problems: "Problems"
        case .explanation: "Explained access"
        case .explainedShare: "of granted requests are explained by the order's state"
        case .explainedNote: "An access is unexplained when the order's state does not call for it: shipping data read long after delivery, or a message kind no order event asks for. Support cases are judged as a whole (see Findings)."
        case .granted: "Granted"
        case .unexplained: "Unexplained"
        case .denied: "Denied"
        case .failed: "Failed"
        case .messagesSent: "Messages sent"
        case .requests: "Requests"
        case .byPurpose: "Granted by purpose"
        case .activity: "Who accessed buyer data, day by day"
        case .activityNote: "One row per actor, one column per period; hover a cell for its counts."
        case .actor: "Actor"
        case .days: "Days"
        case .dayColumn: "each column is one day"
        case .weekColumn: "each column is %d days"
        case .legendExplained: "granted, explained (darker: more)"
        case .legendUnexplained: "some granted access unexplained"
        case .legendDenied: "some requests denied (lower stripe)"
        case .legendFailed: "some requests failed (lower stripe)"
        case .legendNone: "no access"
        case .moreActors: "%d more actors with fewer requests are in the table below."
        case .activeDays: "Active days"
        case .findings: "Findings"
        case .noFindings: "No findings."
        case .rule: "Rule"
        case .when: "When"
        case .evidence: "Evidence"
        case .entries: "entries"
        case .orders: "orders"
        case .listEntries: "List the entries"
        case .moreFindings: "%d more at this severity: buyerguard audit scan --min-severity %@ lists them all."
        case .denials: "Denials by reason"
        case .reason: "Reason"
        case .count: "Count"
        case .noDenials: "No request was denied."
        case .retention: "Retention"
        case .rule30: "Rule"
        case .ordersWithPII: "Orders holding personal data"
        case .ordersPastRetention: "Orders past their retention end (a purge would remove them now)"
        case .oldestRetentionEnd: "Earliest retention end among orders holding personal data"
        case .purgeOverdue: "a purge is overdue"
        case .purgeNotDue: "no purge is due"
        case .ordersWithoutDates: "Orders holding personal data with no date to judge"
        case .piiRemoved: "Orders whose personal data was removed"
        case .runs: "Purges and erasures in the period"
        case .noRuns: "No purge or erasure in the period."
        case .kind: "Kind"
        case .details: "Details"
        case .notFromVault: "Not available: the report was made from a copy of the log, without the vault."
        case .keys: "Keys"
        case .role: "Role"
        case .version: "Version"
        case .state: "State"
        case .created: "Created"
        case .age: "Age"
        case .daysOld: "%d days"
        case .primary: "primary"
        case .active: "active"
        case .retired: "retired"
        case .keyEvents: "Rotations, retirements and rewraps in the period"
        case .noKeyEvents: "No key rotation, retirement or rewrap in the period."
        case .otherMaintenance: "Other maintenance in the period"
        case .footer: "Made by buyerguard audit report. It holds counts, actor names, order ids, rule names and times: no buyer's personal data, and nothing that needs the vault key."
        }
    }

    var italian: String {
        switch self {
        case .title: "Rapporto di audit"
        case .generated: "Generato"
        case .vault: "Archivio"
        case .logOnly: "una copia del solo registro (senza archivio)"
        case .contents: "Indice"
        case .coverage: "Che cosa copre questo rapporto"
        case .entriesInLog: "Voci nel registro"
        case .entriesCovered: "Voci esaminate"
        case .period: "Periodo"
        case .filterActor: "Operatore"
        case .filterPeriod: "Filtro"
        case .canariesWatched: "Ordini civetta sorvegliati"
        case .rulesOff: "Regole disattivate"
        case .none: "nessuna"
        case .allActors: "tutti gli operatori"
        case .timeZone: "Giorni e ore contati nel fuso orario"
        case .integrity: "Integrità del registro"
        case .intact: "Il registro è verificato: la catena di hash e ogni firma dei checkpoint sono intatte."
        case .tampered: "Il registro NON ha superato la verifica: è stato alterato."
        case .untrusted: "La catena di hash del registro è intatta, ma le firme sono state controllate solo con la chiave contenuta in questa copia, che chi l'ha avuta potrebbe aver sostituito: usare --public-key o --checkpoint per verificarlo con una chiave attendibile."
        case .chainOf: "Voci nella catena"
        case .checkpointsVerified: "Checkpoint firmati verificati"
        case .newestCheckpoint: "Ultimo checkpoint nel registro"
        case .noCheckpoint: "nessun checkpoint ancora firmato"
        case .exportedCheckpoint: "Checkpoint esportato usato per il confronto"
        case .notChecked: "nessuno (usare --checkpoint FILE per confrontare con una copia conservata altrove)"
        case .trustedKey: "Chiave di firma considerata attendibile"
        case .warnings: "Avvertenze"
        case .problems: "Problemi"
        case .explanation: "Accessi giustificati"
        case .explainedShare: "delle richieste concesse sono giustificate dallo stato dell'ordine"
        case .explainedNote: "Un accesso non è giustificato quando lo stato dell'ordine non lo richiede: dati di spedizione letti molto dopo la consegna, o un tipo di messaggio che nessun evento dell'ordine chiede. I casi di assistenza sono valutati nel loro insieme (vedi Rilievi)."
        case .granted: "Concesse"
        case .unexplained: "Non giustificate"
        case .denied: "Negate"
        case .failed: "Fallite"
        case .messagesSent: "Messaggi inviati"
        case .requests: "Richieste"
        case .byPurpose: "Concesse per finalità"
        case .activity: "Chi ha consultato i dati degli acquirenti, giorno per giorno"
        case .activityNote: "Una riga per operatore, una colonna per periodo; passare sopra una cella per i conteggi."
        case .actor: "Operatore"
        case .days: "Giorni"
        case .dayColumn: "ogni colonna è un giorno"
        case .weekColumn: "ogni colonna è di %d giorni"
        case .legendExplained: "concesse, giustificate (più scuro: di più)"
        case .legendUnexplained: "alcuni accessi concessi non giustificati"
        case .legendDenied: "alcune richieste negate (striscia in basso)"
        case .legendFailed: "alcune richieste fallite (striscia in basso)"
        case .legendNone: "nessun accesso"
        case .moreActors: "Altri %d operatori con meno richieste sono nella tabella sotto."
        case .activeDays: "Giorni attivi"
        case .findings: "Rilievi"
        case .noFindings: "Nessun rilievo."
        case .rule: "Regola"
        case .when: "Quando"
        case .evidence: "Prove"
        case .entries: "voci"
        case .orders: "ordini"
        case .listEntries: "Elencare le voci"
        case .moreFindings: "Altri %d a questa gravità: buyerguard audit scan --min-severity %@ li elenca tutti."
        case .denials: "Richieste negate per motivo"
        case .reason: "Motivo"
        case .count: "Numero"
        case .noDenials: "Nessuna richiesta è stata negata."
        case .retention: "Conservazione"
        case .rule30: "Regola"
        case .ordersWithPII: "Ordini con dati personali"
        case .ordersPastRetention: "Ordini oltre il termine di conservazione (una cancellazione li rimuoverebbe ora)"
        case .oldestRetentionEnd: "Primo termine di conservazione tra gli ordini con dati personali"
        case .purgeOverdue: "una cancellazione è in ritardo"
        case .purgeNotDue: "nessuna cancellazione è dovuta"
        case .ordersWithoutDates: "Ordini con dati personali senza data per giudicarli"
        case .piiRemoved: "Ordini i cui dati personali sono stati rimossi"
        case .runs: "Cancellazioni periodiche e su richiesta nel periodo"
        case .noRuns: "Nessuna cancellazione nel periodo."
        case .kind: "Tipo"
        case .details: "Dettagli"
        case .notFromVault: "Non disponibile: il rapporto è stato fatto da una copia del registro, senza l'archivio."
        case .keys: "Chiavi"
        case .role: "Ruolo"
        case .version: "Versione"
        case .state: "Stato"
        case .created: "Creata"
        case .age: "Età"
        case .daysOld: "%d giorni"
        case .primary: "primaria"
        case .active: "attiva"
        case .retired: "ritirata"
        case .keyEvents: "Rotazioni, ritiri e riavvolgimenti nel periodo"
        case .noKeyEvents: "Nessuna rotazione, ritiro o riavvolgimento di chiavi nel periodo."
        case .otherMaintenance: "Altre operazioni nel periodo"
        case .footer: "Prodotto da buyerguard audit report. Contiene conteggi, nomi degli operatori, numeri d'ordine, nomi di regole e orari: nessun dato personale degli acquirenti, e nulla che richieda la chiave dell'archivio."
        }
    }
}

extension ReportLanguage {
    /// A severity's name.
    func severity(_ severity: Severity) -> String {
        guard self == .italian else { return severity.rawValue }
        return switch severity {
        case .critical: "critico"
        case .high: "alto"
        case .medium: "medio"
        case .low: "basso"
        case .info: "info"
        }
    }

    /// What a denial reason code means: every ``AccessBroker/DenialReason`` (the switch is
    /// exhaustive, so a new reason cannot go untranslated), and the broker's failure codes.
    func reason(_ code: String) -> String {
        let italian = self == .italian
        guard let reason = AccessBroker.DenialReason(rawValue: code) else {
            if code == "buyer-link-invalid" {
                return italian ? "il legame dell'ordine con il suo acquirente non ha superato il controllo" : "the order's link to its buyer failed its check"
            }
            return code
        }
        return switch reason {
        case .purposeProhibited: italian ? "un uso vietato dal marketplace (marketing, esportazione, ...)" : "a use the marketplace forbids (marketing, export, ...)"
        case .purposeUnrecognized: italian ? "una finalità che nessuno ha definito" : "a purpose nobody defined"
        case .caseIDRequired: italian ? "assistenza senza numero di caso" : "customer support without a case id"
        case .noRole: italian ? "la politica richiede un ruolo e l'operatore non ne ha" : "the policy requires a role and the actor has none"
        case .roleNotAllowed: italian ? "il ruolo dell'operatore non include questa finalità" : "the actor's role does not include this purpose"
        case .fieldNotAllowed: italian ? "un campo che la finalità non può leggere" : "a field the purpose may not read"
        case .orderNotFound: italian ? "ordine inesistente nell'archivio" : "no such order in the vault"
        case .buyerMismatch: italian ? "l'ordine è di un altro acquirente" : "the order belongs to another buyer"
        case .orderCancelled: italian ? "un ordine annullato non si spedisce" : "a cancelled order is not shipped"
        case .shippingWindowClosed: italian ? "consegnato da più del periodo di grazia della spedizione" : "delivered longer ago than the shipping grace"
        case .retentionEnded: italian ? "il termine di conservazione dell'ordine era scaduto" : "the order's retention had ended"
        case .purged: italian ? "i dati personali dell'ordine erano stati cancellati" : "the order's personal data was purged or erased"
        case .invalidText: italian ? "un carattere di controllo nella richiesta" : "a control character in the request"
        case .actorNotPermitted: italian ? "l'identità non può agire come questo operatore" : "the identity may not act as this actor"
        case .identityNotBound: italian ? "un'identità che la politica non conosce" : "an identity the policy does not know"
        case .identityRequired: italian ? "nessuna identità autenticata" : "no authenticated identity"
        case .reviewWindowNotOpen: italian ? "una richiesta di recensione troppo presto" : "a review request too early"
        case .reviewWindowClosed: italian ? "una richiesta di recensione troppo tardi" : "a review request too late"
        case .reviewAlreadyRequested: italian ? "una seconda richiesta di recensione per l'ordine" : "a second review request for the order"
        case .canary: italian ? "un ordine esca che la politica rifiuta" : "a decoy order the policy refuses"
        case .unexplainedLimit: italian ? "oltre il limite della politica per le letture che nulla spiega" : "past the policy's limit on reads nothing explains"
        case .unexplainedMessageKind: italian ? "un messaggio di un account di servizio che lo stato dell'ordine non richiede" : "a service account's message the order's state does not call for"
        }
    }
}
