import Foundation
import Kafka

/// The records of one paused partition: the head failed transiently and waits for its next attempt;
/// the rest arrived after it and wait behind it, so each session's order holds.
struct RetryQueue {
    /// Head first.
    var messages: [KafkaMessage]
    /// Failed attempts of the head (0 when the head has not been tried yet).
    var attempts: Int
    var firstFailure: Date?
    var lastFailure: ProcessingFailure?
    /// When set, the head is finished except that its dead letter could not be produced yet.
    var pendingDeadLetter: DeadLetterRecord?
    var due: ContinuousClock.Instant

    init(_ message: KafkaMessage, due: ContinuousClock.Instant) {
        messages = [message]
        attempts = 0
        self.due = due
    }

    /// Drops the head after it was stored or dead-lettered; the next record starts fresh.
    mutating func advance() {
        messages.removeFirst()
        attempts = 0
        firstFailure = nil
        lastFailure = nil
        pendingDeadLetter = nil
    }
}
