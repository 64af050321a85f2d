import Foundation

/// What nectar needs to know about one commit, detached from libgit2.
public struct CommitInfo: Sendable, Hashable, Codable {
    /// The commit id.
    public var id: ObjectID
    /// The id of the commit's root tree.
    public var treeID: ObjectID
    /// The first line of the commit message.
    public var summary: String
    /// The author's name.
    public var author: String
    /// When the commit was made.
    public var time: Date
}

/// One regular file in a tree: its repository-relative path and blob id.
public struct TreeFile: Sendable, Hashable, Codable {
    /// Path relative to the repository root, with `/` separators.
    public var path: String
    /// The blob id of the file's content.
    public var blobID: ObjectID
}

/// One direct entry of a directory in a tree.
public enum TreeEntry: Sendable, Hashable {
    /// A regular file.
    case file(TreeFile)
    /// A subdirectory, with the id of its tree.
    case directory(path: String, treeID: ObjectID)
}
