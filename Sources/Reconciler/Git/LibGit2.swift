internal import CGit2

/// Initialises libgit2 exactly once per process (Swift runs global
/// initialisers lazily and thread-safely).
let libgit2Initialized: Bool = {
    git_libgit2_init() >= 0
}()

/// Owns a `git_object` of any type and frees it when released.
final class GitObjectHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { git_object_free(pointer) }
}

/// Owns a `git_tree` and frees it when released.
final class GitTreeHandle {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { git_tree_free(pointer) }
}
