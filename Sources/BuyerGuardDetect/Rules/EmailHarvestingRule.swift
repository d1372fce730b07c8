import BuyerGuard

/// `email-harvesting`: a day of buyer emails read with far fewer messages sent. The read `send`
/// makes for its message waits for the message (it is the message's, not one more read); a
/// support case's own conversation is explained by the case.
struct EmailHarvestingRule: ScanRule {
    private struct Actor {
        var emails = Tally()
        var messages = 0
        /// Email reads on the messaging channel (`send`'s own) waiting for their `message-sent`.
        var sendReads: [(order: Int32, time: Int64, sequence: Int64)] = []

        /// Counts the send reads beyond the newest `keeping` as email reads: no message came for them.
        mutating func flushSendReads(keeping: Int) {
            guard sendReads.count > keeping else { return }
            for read in sendReads.prefix(sendReads.count - keeping) { emails.add(time: read.time, sequence: read.sequence, order: read.order) }
            sendReads.removeFirst(sendReads.count - keeping)
        }
    }

    /// How many send reads may wait at once (messages in flight).
    static let sendsInFlight = 32
    private static let emailBit = ScannedEvent.bit(.buyerEmail)
    private let messagingChannel: Int32
    private var actors: [Actor] = []

    init(symbols: AuditSymbolTable) {
        messagingChannel = symbols.intern(AccessChannel.messaging.rawValue)
    }

    mutating func addActor(in context: inout ScanContext) { actors.append(Actor()) }

    mutating func consume(_ scanned: ScannedEvent, in context: inout ScanContext) {
        let event = scanned.event, slot = scanned.slot
        if scanned.kind == .messageSent {
            actors[slot].messages += 1
            if event.order >= 0, let index = actors[slot].sendReads.firstIndex(where: { $0.order == event.order }) {
                actors[slot].sendReads.remove(at: index)
            }
            return
        }
        guard scanned.isRead, scanned.released & Self.emailBit != 0, !scanned.caseExplained else { return }
        if event.channel == messagingChannel {
            actors[slot].sendReads.append((event.order, event.timeMillis, event.sequence))
            // A read no message follows stays a read: only the few in flight wait.
            if actors[slot].sendReads.count > Self.sendsInFlight { actors[slot].flushSendReads(keeping: Self.sendsInFlight) }
        } else {
            actors[slot].emails.add(event)
        }
    }

    mutating func closeDay(_ slot: Int, in context: inout ScanContext) {
        actors[slot].flushSendReads(keeping: 0)
        let day = actors[slot]
        actors[slot].emails = Tally()
        actors[slot].messages = 0
        let rules = context.rules
        guard day.emails.count >= rules.harvestMinimumEmails, Double(day.messages) < Double(day.emails.count) * rules.harvestMessageRatio else { return }
        let name = context.name(slot)
        context.add(.emailHarvesting, .high, name, day.emails,
                    "\(name) read \(day.emails.count) buyer emails in a day but sent \(ScanContext.count(day.messages, "message")): emails collected, not used for orders.")
    }
}
