import BotRuntime
import Foundation
import Hummingbird
import Reconciler
import Synchronization

/// `/console`: the operators' web console, server-rendered from the
/// binary's templates. Operators sign in with an operator token; the
/// session cookie is `HttpOnly`, `SameSite=Strict`, `Secure` when the
/// public URL is HTTPS, and expires; every form carries the session's CSRF
/// token. Roles and teams scope everything as in the admin API.
struct ConsoleRoutes: Sendable {
    let store: RuntimeStore
    let loop: ReconcileLoop
    let desk: HandoffDesk
    let now: @Sendable () -> Date
    /// Mark the cookie `Secure` (the console is served over HTTPS behind a proxy).
    let secureCookies: Bool
    var sessionLifetime: TimeInterval = 12 * 3600
    /// The live streams of each session.
    let streams = ConsoleStreams()

    func add(to router: Router<NectarRequestContext>) {
        let console = self
        let group = router.group("console")
        router.get("console") { _, _ in ConsolePage.redirect("/console/inbox") }
        group.get("assets/console.css") { _, _ in ConsolePage.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        group.get("assets/console.js") { _, _ in ConsolePage.asset(ConsoleAssets.js, type: "text/javascript; charset=utf-8") }

        group.get("sign-in") { request, _ in
            if try await console.session(request) != nil { return ConsolePage.redirect("/console/inbox") }
            return ConsolePage.html(ConsolePage.layout(title: "Sign in", session: nil, current: nil, content: ConsoleTemplates.render([:], "sign-in"),
                                                       notice: ConsolePage.sameOrigin(request) ? request.uri.queryParameters.get("notice") : nil))
        }
        group.post("sign-in") { request, _ in
            // No session yet, so no CSRF token: a cross-site post is refused by its Origin.
            guard ConsolePage.sameOrigin(request) else { return ConsolePage.refused("the sign-in form was posted from another site") }
            let form = try await ConsoleForm.read(request)
            guard let token = form["token"],
                  let (session, _) = try await console.store.openConsoleSession(presenting: token.trimmingCharacters(in: .whitespaces),
                                                                             lifetime: console.sessionLifetime, at: console.now()) else {
                let page = ConsolePage.layout(title: "Sign in", session: nil, current: nil, content: ConsoleTemplates.render([:], "sign-in"),
                                              error: "That operator token is not valid (unknown, revoked, or its operator is no longer declared).")
                return ConsolePage.html(page, status: .unauthorized)
            }
            var response = ConsolePage.redirect("/console/inbox")
            response.headers[.setCookie] = console.cookie(session, maxAge: Int(console.sessionLifetime))
            return response
        }
        group.post("sign-out") { request, _ in
            if let session = try await console.session(request) {
                let form = try await ConsoleForm.read(request)
                guard session.accepts(form["csrf"]) else { return ConsolePage.refused(ConsolePage.csrfMessage) }
                try await console.store.closeConsoleSession(session.id)
            }
            var response = ConsolePage.redirect("/console/sign-in?notice=Signed%20out.")
            response.headers[.setCookie] = console.cookie("", maxAge: 0)
            return response
        }
        group.get("unread") { request, _ in
            guard let session = try await console.session(request) else { throw APIError.unauthorized("sign in to the console first") }
            return JSONBody.response(["unread": try await console.unread(session)])
        }
        group.get("events") { request, _ in
            guard let session = try await console.session(request) else { throw APIError.unauthorized("sign in to the console first") }
            let store = console.store, now = console.now
            // A reconnecting page resumes after the last event it saw.
            let resume = request.header(named: "Last-Event-ID").flatMap { Int64($0) }
            var newest: Int64 = 0
            if resume == nil { newest = try await store.outboxEvents(before: nil, limit: 1).first?.sequence ?? 0 }
            let start = resume ?? newest
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                let generation = console.streams.open(session.id)
                                defer { console.streams.close(session.id, generation) }
                                try await NotificationRoutes.stream(
                                    store: store, desk: console.desk, after: start, writer: &writer,
                                    superseded: { !console.streams.isCurrent(session.id, generation) }
                                ) { try await store.consoleIdentity(session: session.id, at: now()) }
                            })
        }
        ConsoleHandoffPages(console: self).add(to: group)
        ConsoleBotPages(console: self).add(to: group)
        ConsoleInsightPages(console: self).add(to: group)
    }

    // MARK: - Sessions

    func session(_ request: Request) async throws -> ConsoleSession? {
        guard let id = ConsoleSession.id(in: request),
              let identity = try await store.consoleIdentity(session: id, at: now()) else { return nil }
        return ConsoleSession(id: id, identity: identity)
    }

    func cookie(_ value: String, maxAge: Int) -> String {
        "\(ConsoleSession.cookie)=\(value); Path=/console; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    func unread(_ session: ConsoleSession) async throws -> Int {
        try await store.inbox(operator: session.identity.name, visibleBots: try await desk.visibleBots(for: session.identity), limit: 1,
                              cursor: nil).unread
    }

    /// A page for a signed-in operator; anyone else is sent to the sign-in page.
    func page(_ request: Request, _ body: (ConsoleSession) async throws -> Response) async throws -> Response {
        guard let session = try await session(request) else { return ConsolePage.redirect("/console/sign-in") }
        return try await body(session)
    }

    /// A form post: a signed-in operator and the session's CSRF token, else refused.
    func form(_ request: Request, _ body: (ConsoleSession, ConsoleForm) async throws -> Response) async throws -> Response {
        guard let session = try await session(request) else { return ConsolePage.redirect("/console/sign-in") }
        let form = try await ConsoleForm.read(request)
        guard session.accepts(form["csrf"]) else { return ConsolePage.refused(ConsolePage.csrfMessage) }
        return try await body(session, form)
    }

    /// A whole page in the layout, with the operator's unread count; or,
    /// with `?fragment=ID`, only the fragment the live script refreshes.
    func render(_ request: Request, _ session: ConsoleSession, title: String, current: String, content: String,
                fragments: [String: String] = [:], handoffID: String = "") async throws -> Response {
        if let name = request.uri.queryParameters.get("fragment") {
            guard let fragment = fragments[name] else { throw APIError.notFound("no fragment \(name) on this page") }
            return ConsolePage.html(fragment)
        }
        // Notices come from this console's own redirects: a link from another
        // site cannot put its words on the page.
        let own = ConsolePage.sameOrigin(request)
        return ConsolePage.html(ConsolePage.layout(title: title, session: session, current: current, content: content,
                                                   unread: try await unread(session), handoffID: handoffID,
                                                   notice: own ? request.uri.queryParameters.get("notice") : nil,
                                                   error: own ? request.uri.queryParameters.get("error") : nil))
    }
}

/// The event streams open per console session. Only the newest few of a
/// session stay open: a page a browser keeps in its back-forward cache
/// holds its stream's connection, and browsers allow six per server, so
/// the seventh page would wait. An ended stream's page reconnects by itself
/// (with Last-Event-ID, so it misses nothing) if it is still shown.
final class ConsoleStreams: Sendable {
    static let perSession = 2
    private let state = Mutex<(next: Int, open: [String: [Int]])>((0, [:]))

    func open(_ session: String) -> Int {
        state.withLock { state in
            state.next += 1
            state.open[session, default: []].append(state.next)
            return state.next
        }
    }

    func isCurrent(_ session: String, _ generation: Int) -> Bool {
        state.withLock { $0.open[session]?.suffix(Self.perSession).contains(generation) ?? false }
    }

    func close(_ session: String, _ generation: Int) {
        state.withLock { state in
            state.open[session]?.removeAll { $0 == generation }
            if state.open[session]?.isEmpty == true { state.open[session] = nil }
        }
    }
}

/// Responses of the console: HTML with a strict content security policy,
/// redirects after posts, refusals as pages.
enum ConsolePage {
    static let csrfMessage = "The form was refused: its CSRF token is missing or does not match your session. Reload the page and try again."

    static let securityHeaders: HTTPFields = [
        HTTPFields.Element.Name("Content-Security-Policy")!: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        HTTPFields.Element.Name("X-Frame-Options")!: "DENY",
        HTTPFields.Element.Name("X-Content-Type-Options")!: "nosniff",
        // Not no-referrer: under it browsers send `Origin: null` even for same-origin posts.
        HTTPFields.Element.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300", HTTPFields.Element.Name("X-Content-Type-Options")!: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// See Other: after a form, the browser loads the page with GET.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// Back to `path` with a notice or an error sentence shown on the page.
    static func redirect(_ path: String, notice: String? = nil, error: String? = nil) -> Response {
        var components = URLComponents()
        components.path = path
        components.queryItems = [notice.map { URLQueryItem(name: "notice", value: $0) }, error.map { URLQueryItem(name: "error", value: $0) }]
            .compactMap { $0 }
        return redirect(components.string ?? path)
    }

    static func refused(_ message: String) -> Response {
        html(layout(title: "Refused", session: nil, current: nil,
                    content: ConsoleTemplates.render(["heading": "Refused", "text": message, "back": "/console/inbox", "backLabel": "Back to the console"],
                                                     "message")),
             status: .forbidden)
    }

    static func missing(_ what: String) -> Response {
        html(layout(title: "Not found", session: nil, current: nil,
                    content: ConsoleTemplates.render(["heading": "Not found", "text": what, "back": "/console/inbox", "backLabel": "Back to the inbox"],
                                                     "message")),
             status: .notFound)
    }

    /// A form posted from this server's own pages: the browser's
    /// `Sec-Fetch-Site` says so, or else the Origin (when sent) names the Host.
    static func sameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPFields.Element.Name("Sec-Fetch-Site")!] { return site == "same-origin" || site == "none" }
        guard let origin = request.headers[HTTPFields.Element.Name("Origin")!] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    struct NavItem {
        var label: String
        var href: String
        var current: Bool
        var unreadBadge: Bool
        var unread: Int
        var hasUnread: Bool
    }

    static func layout(title: String, session: ConsoleSession?, current: String?, content: String, unread: Int = 0,
                       handoffID: String = "", notice: String? = nil, error: String? = nil) -> String {
        let nav = [("Inbox", "/console/inbox"), ("Bots", "/console/bots"), ("Analytics", "/console/analytics"),
                   ("Reconcile", "/console/reconcile")].map { label, href in
            NavItem(label: label, href: href, current: label == current, unreadBadge: label == "Inbox", unread: unread, hasUnread: unread > 0)
        }
        var view: [String: Any] = [
            "title": title, "signedIn": session != nil, "nav": nav, "operatorName": session?.identity.name ?? "",
            "role": session?.identity.role.rawValue ?? "", "csrf": session?.csrf ?? "", "content": content, "handoffID": handoffID,
        ]
        // Absent, not empty: an empty string would still open the section.
        if let notice, !notice.isEmpty { view["notice"] = notice }
        if let error, !error.isEmpty { view["error"] = error }
        return ConsoleTemplates.render(view, "layout")
    }
}
