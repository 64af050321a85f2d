import Foundation
import Testing
@testable import BotRuntime

/// The plain-text mail of a notification.
struct MailFormatterTests {
    @Test func nonASCIISubjectsAreFoldedEncodedWords() {
        let subject = MailFormatter.encodedHeader("[nectar] Übergabe #12 für den Bot „Kundendienst“: dringend, bitte übernehmen")
        let words = subject.components(separatedBy: "\r\n ")
        #expect(words.count > 1 && words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 }, "\(words)")
        let decoded = words.map { word in
            String(decoding: Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) ?? Data(), as: UTF8.self)
        }.joined()
        #expect(decoded == "[nectar] Übergabe #12 für den Bot „Kundendienst“: dringend, bitte übernehmen")
        #expect(MailFormatter.encodedHeader("plain\r\nBcc: x@y") == "plain  Bcc: x@y", "no header injection")
    }

    @Test func longLinesAndNonASCIIBodiesGoBase64AndShortASCIIStays7bit() {
        func event(_ message: String) -> OutboxEvent {
            let payload = String(decoding: try! JSONSerialization.data(withJSONObject: ["type": "reconcile.failed", "id": "evt_1",
                                                                                         "message": message, "actor": "nectar"]), as: UTF8.self)
            return OutboxEvent(sequence: 1, id: "evt_1", type: "reconcile.failed", bot: nil, handoffID: nil, at: Date(), payload: payload)
        }
        let short = MailFormatter.message(event: event("revision 1a2b has 1 invalid declaration"), delivery: "dlv_1",
                                          from: "n@example.com", to: "ops@example.com", publicURL: nil, at: Date())
        #expect(short.contains("Content-Transfer-Encoding: 7bit") && short.contains("revision 1a2b has 1 invalid declaration"))
        let long = MailFormatter.message(event: event(String(repeating: "x", count: 1200)), delivery: "dlv_2", from: "n@example.com",
                                         to: "ops@example.com", publicURL: nil, at: Date())
        #expect(long.contains("Content-Transfer-Encoding: base64"))
        let body = long.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        #expect(body.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
    }
}
