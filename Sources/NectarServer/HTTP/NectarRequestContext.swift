import BotRuntime
import Hummingbird

/// The request context of nectar's HTTP server: the core storage plus the
/// operator an admin request authenticated as.
public struct NectarRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `OperatorAuthMiddleware` on `/admin` routes.
    public var identity: OperatorIdentity?

    /// The socket peer's IP address (empty when unknown).
    public var peerAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress ?? ""
    }

    /// Admin request bodies are small.
    public var maxUploadSize: Int { 64 * 1024 }
}
