/// A file's bytes, or the size of a file too large to hand out.
public enum FileContent: Sendable, Equatable {
    case bytes([UInt8])
    case tooLarge(size: Int)
}
