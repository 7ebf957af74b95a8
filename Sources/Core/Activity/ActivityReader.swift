/// Reads the few members of an event's `data` that session summaries need, stopping as soon as it
/// has them (a mutation's `adds`, a snapshot's DOM and a console payload's arguments are never
/// walked). The bytes were already checked by the validator, so nothing here can be malformed.
struct ActivityReader {
    /// rrweb's incremental sources (rrweb 2 adds up to 16).
    enum Source: Int {
        case mutation = 0, mouseMove, mouseInteraction, scroll, viewportResize, input, touchMove, mediaInteraction,
             styleSheetRule, canvasMutation, font, log, drag, styleDeclaration, selection, adoptedStyleSheet, customElement
    }

    static let clickInteraction = 2

    /// Adds the event (`type`, `timestamp`, its `data` bytes if any) to `activity`.
    static func read(type: Int, timestamp: Double, data: UnsafeRawBufferPointer?, into activity: inout BatchActivity) {
        switch type {
        case 2:
            if activity.firstFullSnapshot == nil { activity.firstFullSnapshot = timestamp }
        case 3:
            if activity.firstIncremental == nil { activity.firstIncremental = timestamp }
            guard let data else { return }
            incremental(timestamp, data, &activity)
        case 4:
            guard let data else { return }
            meta(data, &activity)
        case 6:
            guard let data else { return }
            plugin(data, &activity)
        default:
            return
        }
    }

    private static func incremental(_ timestamp: Double, _ data: UnsafeRawBufferPointer, _ activity: inout BatchActivity) {
        var scanner = JSONScanner(data)
        var source: Int?
        var interaction: Int?
        var x: Double?, y: Double?, width: Int?, height: Int?
        do {
            guard scanner.consume(.openBrace), !scanner.consume(.closeBrace) else { return }
            repeat {
                let name = try scanner.memberName()
                if scanner.string(name, equals: "source"), scanner.peekKind() == .number {
                    source = scanner.integer(try scanner.scanNumber())
                    // Only interactions and resizes need more than their source.
                    if let source, source != Source.mouseInteraction.rawValue, source != Source.viewportResize.rawValue { break }
                } else if scanner.string(name, equals: "type"), scanner.peekKind() == .number {
                    interaction = scanner.integer(try scanner.scanNumber())
                } else if scanner.string(name, equals: "x"), scanner.peekKind() == .number {
                    x = scanner.double(try scanner.scanNumber())
                } else if scanner.string(name, equals: "y"), scanner.peekKind() == .number {
                    y = scanner.double(try scanner.scanNumber())
                } else if scanner.string(name, equals: "width"), scanner.peekKind() == .number {
                    width = scanner.integer(try scanner.scanNumber())
                } else if scanner.string(name, equals: "height"), scanner.peekKind() == .number {
                    height = scanner.integer(try scanner.scanNumber())
                } else {
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        } catch {
            // Validated bytes: unreachable; whatever was read so far still counts.
        }
        guard let source else { return }
        switch Source(rawValue: source) {
        case .mutation: activity.mutations.append(timestamp)
        case .mouseMove, .touchMove, .drag: activity.activity.append(timestamp)
        case .mouseInteraction:
            activity.activity.append(timestamp)
            if interaction == clickInteraction { activity.clicks.append(.init(at: timestamp, x: x ?? 0, y: y ?? 0)) }
        case .scroll:
            activity.activity.append(timestamp)
            activity.scrolls += 1
        case .input:
            activity.activity.append(timestamp)
            activity.inputs += 1
        case .viewportResize:
            if let width, let height { activity.viewport = (width, height) }
        case .some: break
        case .none: activity.unknownSources += 1
        }
    }

    private static func meta(_ data: UnsafeRawBufferPointer, _ activity: inout BatchActivity) {
        var scanner = JSONScanner(data)
        var width: Int?, height: Int?
        do {
            guard scanner.consume(.openBrace), !scanner.consume(.closeBrace) else { return }
            repeat {
                let name = try scanner.memberName()
                if scanner.string(name, equals: "href"), scanner.peekKind() == .string {
                    let href = scanner.text(try scanner.scanString())
                    if href.utf8.count <= 2048 { activity.pages.append(href) }
                } else if scanner.string(name, equals: "width"), scanner.peekKind() == .number {
                    width = scanner.integer(try scanner.scanNumber())
                } else if scanner.string(name, equals: "height"), scanner.peekKind() == .number {
                    height = scanner.integer(try scanner.scanNumber())
                } else {
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        } catch {}
        if let width, let height { activity.viewport = (width, height) }
    }

    /// rrweb's console plugin: `{"plugin":"rrweb/console@1","payload":{"level":"error",…}}`.
    private static func plugin(_ data: UnsafeRawBufferPointer, _ activity: inout BatchActivity) {
        var scanner = JSONScanner(data)
        var isConsole: Bool?
        var level: String?
        do {
            guard scanner.consume(.openBrace), !scanner.consume(.closeBrace) else { return }
            repeat {
                let name = try scanner.memberName()
                if scanner.string(name, equals: "plugin"), scanner.peekKind() == .string {
                    let plugin = try scanner.scanString()
                    isConsole = scanner.string(plugin, equals: "rrweb/console@1")
                    if isConsole == false { return }
                } else if scanner.string(name, equals: "payload"), scanner.peekKind() == .object {
                    _ = scanner.consume(.openBrace)
                    var open = !scanner.consume(.closeBrace)
                    while open {
                        let member = try scanner.memberName()
                        if scanner.string(member, equals: "level"), scanner.peekKind() == .string {
                            level = scanner.text(try scanner.scanString())
                            break
                        }
                        try scanner.skipValue()
                        open = try scanner.nextMember()
                    }
                    if isConsole != nil { break }
                    // `plugin` comes after the payload: keep the level until the name is read, and
                    // step over the rest of the payload.
                    if open { try skipRestOfObject(&scanner) }
                } else {
                    try scanner.skipValue()
                }
            } while try scanner.nextMember()
        } catch {}
        guard isConsole == true, let level else { return }
        switch level {
        case "error", "assert": activity.consoleErrors += 1
        case "warn": activity.consoleWarnings += 1
        default: break
        }
    }

    /// After a member's value inside an object: skips the remaining members and the closing brace.
    private static func skipRestOfObject(_ scanner: inout JSONScanner) throws(BatchValidationError) {
        while try scanner.nextMember() {
            _ = try scanner.memberName()
            try scanner.skipValue()
        }
    }
}
