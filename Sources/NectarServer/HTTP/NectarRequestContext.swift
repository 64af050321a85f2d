import BotRuntime
import Hummingbird

/// The request context of nectar's HTTP server: the core storage plus the
/// operator an admin request authenticated as.
public struct NectarRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `OperatorAuthMiddleware` on `/admin` routes.
    public var identity: OperatorIdentity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Admin request bodies are small.
    public var maxUploadSize: Int { 64 * 1024 }
}
