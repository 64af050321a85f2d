import Foundation
import Testing
@testable import Reconciler

@Suite struct GitMirrorProbe {
    @Test func probe() throws {
        try withTemporaryDirectory { d in
            for (url, cred) in [("file:///nonexistent/x.git", GitCredentials.none),
                                ("https://127.0.0.1:1/bots.git", .token("sekret-123")),
                                ("ssh://git@127.0.0.1:1/bots.git", .none),
                                ("git@127.0.0.1:bots.git", .none),
                                ("https://no-such-host.invalid/x.git", .none),
                                ("ftp://example.com/x.git", .none)] {
                do { try GitMirror.sync(url: url, into: d + "/m-\(abs(url.hashValue))", credentials: cred) }
                catch let error as GitError { print("PROBE", error.code, error.description) }
            }
            let origin = try GitRepository.create(at: d + "/o")
            try origin.commit(files: ["a": [1]], message: "m")
            try origin.tag("v1", at: try origin.resolve("HEAD").id)
            let p = try GitMirror.sync(url: "file://" + d + "/o", into: d + "/mirror")
            print("PROBE path", p)
            print("PROBE", try String(contentsOfFile: p + "/config", encoding: .utf8))
            print("PROBE HEAD", try String(contentsOfFile: p + "/HEAD", encoding: .utf8))
            print("PROBE ls", try FileManager.default.subpathsOfDirectory(atPath: p).sorted().joined(separator: " "))
            let t = Date(); for _ in 0..<10 { try GitMirror.sync(url: "file://" + d + "/o", into: d + "/mirror") }
            print("PROBE 10 syncs", Date().timeIntervalSince(t))
            print("PROBE features ssh", GitMirror.supportsSSH, "https", GitMirror.supportsHTTPS)
            let p2 = Process(); p2.executableURL = URL(fileURLWithPath: "/usr/bin/git"); p2.arguments = ["-C", p, "fetch", "--prune", "-v"]
            try p2.run(); p2.waitUntilExit()
        }
    }
}
