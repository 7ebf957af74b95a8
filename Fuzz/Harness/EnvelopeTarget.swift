import Core
import Foundation

/// `BatchValidator.validate` — the envelope parser, the JSON scanner under it and the activity reader
/// (internal to Core, reached through this public entry) — over batch bodies.
///
/// Each input is validated three ways, each from an exactly sized allocation (so AddressSanitizer
/// reports a read even one byte past the end): as a whole body; as the value of an unknown member of a
/// valid batch (the scanner's `skipValue` over arbitrary bytes); and as the `events` value of a valid
/// envelope. Each is validated as the Collector does and as the Processor does (`observeActivity`):
/// both must give the same answer. An accepted batch must describe itself consistently, its activity
/// must come from its events, and its `events` bytes, validated again in a fresh envelope, must give
/// the same events.
public enum EnvelopeTarget: FuzzTarget {
    public static let name = "envelope"

    /// The fixtures' time: their events lie within minutes of it, well inside the allowed skew.
    static let now = Date(timeIntervalSince1970: 1_795_552_000)
    static let limits = BatchLimits()
    static let envelope = Array(#"{"key":"pk_abcdefgh","session":"s-1","seq":1,"events":"#.utf8)
    static let member = envelope + Array(#"[{"type":3,"timestamp":1795552000000}],"x":"#.utf8)
    static let close = Array("}".utf8)

    public static func run(_ input: UnsafeRawBufferPointer) {
        check(input)
        withExactCopy(member, input, close) { check($0) }
        withExactCopy(envelope, input, close) { check($0) }
    }

    static func validate(_ body: UnsafeRawBufferPointer, observeActivity: Bool) -> Result<ValidatedBatch, BatchValidationError> {
        Result { () throws(BatchValidationError) in
            try BatchValidator.validate(body, now: now, limits: limits, observeActivity: observeActivity)
        }
    }

    static func check(_ body: UnsafeRawBufferPointer) {
        let collector = validate(body, observeActivity: false)
        let processor = validate(body, observeActivity: true)
        var batch: ValidatedBatch
        let activity: BatchActivity
        switch (collector, processor) {
        case (.failure(let error), .failure(let same)):
            invariant(error == same, "the Collector's and the Processor's validation refuse differently: \(error) vs \(same)")
            invariant(["malformed_batch", "invalid_field"].contains(error.code) && !error.message.isEmpty,
                      "unexpected refusal \(error.code): \(error.message)")
            return
        case (.success(let accepted), .success(let observed)):
            invariant(accepted.activity == nil, "activity taken without being asked for")
            guard let observedActivity = observed.activity else { return invariant(false, "no activity taken when asked for") }
            activity = observedActivity
            batch = observed
            batch.activity = nil
            invariant(batch == accepted, "observing activity changed the batch: \(batch) vs \(accepted)")
            check(activity, of: observed)
        default:
            return invariant(false, "the Collector's and the Processor's validation disagree: \(collector) vs \(processor)")
        }
        let range = batch.eventsRange
        invariant(range.lowerBound >= 0 && range.upperBound <= body.count && range.count >= 2,
                  "events range \(range) outside a \(body.count)-byte body")
        invariant(body[range.lowerBound] == UInt8(ascii: "[") && body[range.upperBound - 1] == UInt8(ascii: "]"),
                  "events range \(range) does not span the events array")
        invariant((1...limits.maxEventsPerBatch).contains(batch.eventCount), "event count \(batch.eventCount)")
        let skew = Double(limits.timestampSkew.components.seconds) * 1000
        let nowMillis = now.timeIntervalSince1970 * 1000
        invariant(batch.firstTimestamp <= batch.lastTimestamp && abs(batch.firstTimestamp - nowMillis) <= skew
                  && abs(batch.lastTimestamp - nowMillis) <= skew,
                  "timestamps \(batch.firstTimestamp)…\(batch.lastTimestamp) out of order or out of range")
        invariant(BatchValidator.isValidKey(batch.key), "accepted key \(batch.key.debugDescription)")
        invariant(BatchValidator.isValidSessionID(batch.session), "accepted session \(batch.session.debugDescription)")
        invariant((0...(1 << 53)).contains(batch.seq), "accepted seq \(batch.seq)")
        invariant((batch.pageURL?.utf8.count ?? 0) <= 4096, "accepted a page.url of \(batch.pageURL?.utf8.count ?? 0) bytes")

        // What the Processor spools is body[eventsRange]: on its own it must be the same events.
        withExactCopy(envelope, UnsafeRawBufferPointer(rebasing: body[range]), close) { events in
            let again = validate(events, observeActivity: true)
            guard case .success(let copy) = again else {
                return invariant(false, "the accepted events array is refused on its own: \(again)")
            }
            invariant(copy.eventCount == batch.eventCount && copy.firstTimestamp == batch.firstTimestamp
                      && copy.lastTimestamp == batch.lastTimestamp && copy.eventsRange.count == range.count
                      && copy.newerTypeEvents == batch.newerTypeEvents && copy.activity == activity,
                      "the events array on its own reads differently: \(copy) vs \(batch)")
        }
    }

    /// Activity comes from the batch's events: its times lie within theirs, its counts within their number.
    static func check(_ activity: BatchActivity, of batch: ValidatedBatch) {
        let span = batch.firstTimestamp...batch.lastTimestamp
        let times = activity.clicks.map(\.at) + activity.activity + activity.mutations
            + [activity.firstFullSnapshot, activity.firstIncremental].compactMap { $0 }
        invariant(times.allSatisfy(span.contains), "activity at times outside the events' \(span): \(activity)")
        let counts = [activity.clicks.count, activity.activity.count, activity.mutations.count, activity.inputs,
                      activity.scrolls, activity.pages.count, activity.consoleErrors, activity.consoleWarnings, activity.unknownSources]
        invariant(counts.allSatisfy { (0...batch.eventCount).contains($0) }, "activity counts \(counts) for \(batch.eventCount) events")
        invariant(activity.pages.allSatisfy { $0.utf8.count <= 2048 }, "a page URL over 2048 bytes")
    }

    /// Runs `body` over `prefix + middle + suffix` in an allocation of exactly that size.
    static func withExactCopy(_ prefix: [UInt8], _ middle: UnsafeRawBufferPointer, _ suffix: [UInt8],
                              _ body: (UnsafeRawBufferPointer) -> Void) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: prefix.count + middle.count + suffix.count, alignment: 1)
        defer { buffer.deallocate() }
        prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        if middle.count > 0 { (buffer.baseAddress! + prefix.count).copyMemory(from: middle.baseAddress!, byteCount: middle.count) }
        suffix.withUnsafeBytes { (buffer.baseAddress! + prefix.count + middle.count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        body(UnsafeRawBufferPointer(buffer))
    }

    // MARK: seeds

    public static func seeds(from fixtures: [Fixture]) throws -> [Seed] {
        var seeds: [Seed] = []
        for fixture in fixtures {
            seeds.append(Seed("\(fixture.name)-all", body(fixture.array(0..<fixture.events.count), seq: 0)))
            for (index, range) in fixture.batches(of: 8, limit: 6).enumerated() {
                let page = index.isMultiple(of: 2)
                    ? #","page":{"url":"https:\/\/shop.example\/\u00e4?q=1","referrer":null,"width":1280,"height":720}"# : ""
                seeds.append(Seed("\(fixture.name)-\(range.lowerBound)", body(fixture.array(range), seq: index + 1, extra: page)))
            }
        }
        // Seeds the validator refuses would only explore refusals: e.g. fixtures recorded far from `now`.
        for seed in seeds {
            do {
                _ = try BatchValidator.validate(seed.bytes, now: now, limits: limits)
            } catch {
                throw FixtureError(message: "the envelope seed \(seed.name) is refused (\(error.message)); is `EnvelopeTarget.now` near the fixtures' timestamps?")
            }
        }
        return seeds
    }

    static func body(_ events: [UInt8], seq: Int, extra: String = "") -> [UInt8] {
        Array(#"{"key":"pk_abcdefgh","session":"s-1","seq":\#(seq),"events":"#.utf8) + events + Array("\(extra)}".utf8)
    }
}
