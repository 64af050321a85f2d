import BotRuntime
import Foundation
import NectarServer
import Testing
@testable import Reconciler
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The operator console in real Chromium over WebDriver, against a real
/// daemon on loopback: sign in, a handoff arriving live, assign, reply (the
/// user's conversation gets it), resolve, pause a bot, a form without its
/// CSRF token refused, an agent kept to its team's bots, sign out; and a
/// screenshot of each page at desktop and phone width.
@Suite(.serialized) struct ConsoleBrowserDaemonTests {
    /// Where screenshots go: `NECTAR_SCREENSHOTS` (scripts/screenshots sets
    /// docs/console), else a temporary directory.
    static let shots = ProcessInfo.processInfo.environment["NECTAR_SCREENSHOTS"]
        ?? NSTemporaryDirectory() + "nectar-console-shots"

    static func shot(_ browser: WebDriver, _ name: String, phone: Bool = false) async throws {
        try await browser.screenshot(to: "\(shots)/\(name)-\(phone ? "phone" : "desktop").png")
        try await browser.resize(width: phone ? 390 : 1280, height: phone ? 844 : 900)
    }

    @Test func anOperatorWorksAHandoffFromSignInToSignOut() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support"),
                                                      "sales": HandoffFixture.bot("sales", owner: "team-sales")])
        let alice = try harness.token("alice"), dave = try harness.token("dave")
        let origin = "http://127.0.0.1:\(harness.port)"
        let browser = try await WebDriver.start()
        defer { Task { await browser.quit() } }

        // Signed out, every page leads to the sign-in form; a bad token is one clear sentence.
        try await browser.go("\(origin)/console/inbox")
        _ = try await browser.find("#token")
        #expect(try await browser.url.hasSuffix("/console/sign-in"))
        try await Self.shot(browser, "sign-in")
        try await browser.type("#token", "nop_notarealtoken")
        try await browser.click("#sign-in")
        try await browser.waitForText(".error") { $0.contains("not valid") }
        try await browser.type("#token", alice)
        try await browser.click("#sign-in")
        _ = try await browser.find("#inbox-list")
        #expect(!(try await browser.source).contains(alice), "the token is never put in a page")

        // A handoff opened by a user appears without a reload, with the unread count.
        _ = try await browser.execute("window.nectarMarker = 42; return true;")
        let key = try harness.key("support")
        let opened = try await harness.chat("support", "help please, my order is lost", key: key)
        let handoffID = try #require(harness.handoff(of: opened)?["id"] as? String, "\(opened.text)")
        let conversation = try #require(opened.json["conversationId"] as? String)
        _ = try await browser.find("tr.handoff-row[data-id='\(handoffID)']", timeout: 10)
        #expect(try await browser.execute("return window.nectarMarker;") as? Int == 42, "the row came live, not by a reload")
        try await eventually("the unread count shows the new handoff") { (try? await browser.text("#unread")) == "1" }
        try await Self.shot(browser, "inbox")

        // Assign, reply, resolve on the handoff's page.
        try await browser.click("tr.handoff-row[data-id='\(handoffID)'] a")
        _ = try await browser.find("#assign")
        try await Self.shot(browser, "handoff")
        try await browser.click("#assign")
        try await browser.waitForText(".notice") { $0.contains("Assigned to alice") }
        #expect(try await browser.text("#handoff-assignee") == "alice")
        // Another operator's reply appears on the page without a reload.
        _ = try await browser.execute("window.nectarMarker = 43; return true;")
        let carol = try harness.token("carol")
        #expect(try await harness.admin("POST", "/admin/handoffs/\(handoffID)/reply", token: carol,
                                        json: ["message": "Carol here, looking too."]).status == 200)
        try await browser.waitForText("#handoff-thread") { $0.contains("Carol here, looking too.") }
        #expect(try await browser.execute("return window.nectarMarker;") as? Int == 43, "the reply came live, not by a reload")
        try await browser.type("#reply-text", "I found your parcel; it ships today.")
        try await browser.click("#reply")
        try await browser.waitForText(".notice") { $0.contains("Reply sent") }
        let transcript = try await harness.request("GET", "/v1/conversations/\(conversation)",
                                                   headers: ["Authorization": "Bearer \(key)"])
        #expect(transcript.text.contains("I found your parcel; it ships today."), "the user's conversation gets the reply")
        try await browser.type("#note", "parcel found")
        try await browser.click("#resolve")
        try await browser.waitForText("#handoff-status") { $0 == "resolved" }
        let detail = try await harness.handoffDetail(handoffID, token: alice)
        #expect((detail["handoff"] as? [String: Any])?["resolutionNote"] as? String == "parcel found")

        // Pause a bot: its chat answers 503 until it is resumed.
        try await browser.go("\(origin)/console/bots")
        try await browser.type("#reason-support", "incident 42")
        try await browser.click("#pause-support")
        try await browser.waitForText(".notice") { $0.contains("Bot support paused") }
        #expect(try await browser.text("tr.bot-row[data-bot='support'] td:nth-child(3)") == "paused")
        #expect(try await harness.chat("support", "hello", key: key).status == 503)
        try await Self.shot(browser, "bots")

        // A form posted without its CSRF token is refused and changes nothing.
        _ = try await browser.execute("document.querySelector('form[action=\"/console/bots/support/resume\"] input[name=csrf]').remove(); return true;")
        try await browser.click("#resume-support")
        try await browser.waitForText("h1") { $0 == "Refused" }
        #expect(try await browser.text("main").contains("CSRF token"))
        #expect(try await harness.chat("support", "hello", key: key).status == 503, "still paused")
        try await browser.go("\(origin)/console/bots")
        try await browser.click("#resume-support")
        try await browser.waitForText(".notice") { $0.contains("Bot support resumed") }
        #expect(try await harness.chat("support", "hello", key: key).status == 200)

        // Every other page, at desktop and at phone width.
        for (page, name) in [("/console/bots/support", "bot"), ("/console/analytics", "analytics"), ("/console/reconcile", "reconcile")] {
            try await browser.go(origin + page)
            _ = try await browser.find("main h1")
            try await Self.shot(browser, name)
        }
        try await browser.resize(width: 390, height: 844)
        for (page, name) in [("/console/inbox?status=all", "inbox"), ("/console/handoffs/\(handoffID)", "handoff"), ("/console/bots", "bots"),
                             ("/console/bots/support", "bot"), ("/console/analytics", "analytics"), ("/console/reconcile", "reconcile")] {
            try await browser.go(origin + page)
            _ = try await browser.find("main h1")
            let overflow = try await browser.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;") as? Bool
            let wide = overflow == true ? try await browser.execute("""
                return Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                    .slice(-3).map(e => e.tagName + ': ' + e.outerHTML.slice(0, 160)).join(' | ');
                """) as? String : nil
            #expect(overflow == false, "\(page) fits a phone's width\(wide.map { "; too wide: " + $0 } ?? "")")
            try await Self.shot(browser, name, phone: true)
        }

        // Sign out: the session is gone.
        try await browser.click("#sign-out")
        _ = try await browser.find("#token")
        try await browser.waitForText(".notice") { $0.contains("Signed out") }
        try await browser.go("\(origin)/console/bots")
        _ = try await browser.find("#token")
        try await Self.shot(browser, "sign-in", phone: true)
        try await browser.resize(width: 1280, height: 900)

        // An agent of another team sees only its team's bots and handoffs.
        try await browser.type("#token", dave)
        try await browser.click("#sign-in")
        _ = try await browser.find("#inbox-list")
        #expect(!(try await browser.exists("tr.handoff-row")), "support's handoff is not dave's")
        try await browser.go("\(origin)/console/bots")
        _ = try await browser.find("tr.bot-row[data-bot='sales']")
        #expect(!(try await browser.exists("tr.bot-row[data-bot='support']")))
        #expect(!(try await browser.exists("#pause-sales")), "agents do not pause bots")
        for page in ["/console/bots/support", "/console/handoffs/\(handoffID)"] {
            try await browser.go(origin + page)
            try await browser.waitForText("h1") { $0 == "Not found" }
        }
        try await browser.go("\(origin)/console/reconcile")
        try await browser.waitForText("h1") { $0 == "Refused" }
        await browser.quit()
        try await harness.stop()
    }

    /// The session cookie's attributes and the pages' security headers, over plain HTTP.
    @Test func sessionCookiesAndHeaders() async throws {
        let harness = try await HandoffFixture.start(["support": HandoffFixture.bot("support")])
        let alice = try harness.token("alice")
        let noRedirects = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        let signIn = try await harness.request("POST", "/console/sign-in", body: Data("token=\(alice)".utf8),
                                               headers: ["Content-Type": "application/x-www-form-urlencoded"], session: noRedirects)
        #expect(signIn.status == 303)
        let cookie = try #require(signIn.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
        #expect(cookie.contains("Max-Age=43200") && !cookie.contains("Secure"), "Secure only behind HTTPS")
        let session = try #require(cookie.split(separator: ";").first.map(String.init))
        #expect(!(try ReconcileSQL.strings(path: harness.dbPath, "SELECT id_hash FROM console_session")).contains { session.contains($0) })
        let page = try await harness.request("GET", "/console/inbox", headers: ["Cookie": session], session: noRedirects)
        #expect(page.status == 200)
        #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        #expect(page.headers["x-frame-options"] == "DENY")
        // A notice in a link from another site is not shown; one after the console's own redirect is.
        let spoofed = try await harness.request("GET", "/console/inbox?error=Your%20session%20expired%2C%20visit%20evil.example",
                                                headers: ["Cookie": session, "Sec-Fetch-Site": "cross-site"], session: noRedirects)
        #expect(spoofed.status == 200 && !spoofed.text.contains("evil.example"))
        let own = try await harness.request("GET", "/console/inbox?notice=Reply%20sent.",
                                            headers: ["Cookie": session, "Sec-Fetch-Site": "same-origin"], session: noRedirects)
        #expect(own.text.contains("Reply sent."))
        let crossSite = try await harness.request("POST", "/console/sign-in", body: Data("token=\(alice)".utf8),
                                                  headers: ["Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"],
                                                  session: noRedirects)
        #expect(crossSite.status == 403, "a sign-in posted from another site")
        // Revoking the token ends the sessions opened with it.
        _ = try RuntimeStore.open(path: harness.dbPath).revokeOperatorTokens(operator: "alice")
        let after = try await harness.request("GET", "/console/inbox", headers: ["Cookie": session], session: noRedirects)
        #expect(after.status == 303 && after.headers["location"] == "/console/sign-in")
        try await harness.stop()
    }
}

/// Lets a test see a redirect instead of following it.
final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
