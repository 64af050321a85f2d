import Dispatch
import Foundation

/// Decodes independent declaration files on all cores.
enum ParallelDecoding {
    /// Below this many files, threads cost more than they save.
    static let minimumParallelBatch = 64

    static func decode(_ files: [(TreeFile, [UInt8])], limits: YAMLLimits) -> [DecodedFile] {
        let decoder = DeclarationDecoder(limits: limits)
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(1, files.count / minimumParallelBatch))
        if workers <= 1 {
            return files.map { decoder.decode($0.1, path: $0.0.path, blobID: $0.0.blobID) }
        }
        let slots = UnsafeMutableBufferPointer<DecodedFile>.allocate(capacity: files.count)
        defer {
            _ = slots.deinitialize()
            slots.deallocate()
        }
        let output = SendableSlots(slots)
        let chunk = (files.count + workers - 1) / workers
        files.withUnsafeBufferPointer { input in
            let source = SendableInput(input)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * chunk
                let end = min(start + chunk, source.buffer.count)
                guard start < end else { return }
                for index in start..<end {
                    let (file, bytes) = source.buffer[index]
                    // Each index is written by exactly one worker.
                    (output.buffer.baseAddress! + index).initialize(to: decoder.decode(bytes, path: file.path, blobID: file.blobID))
                }
            }
        }
        return Array(slots)
    }

    /// Disjoint-index access to a buffer from several threads.
    private struct SendableSlots: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<DecodedFile>
        init(_ buffer: UnsafeMutableBufferPointer<DecodedFile>) { self.buffer = buffer }
    }

    private struct SendableInput: @unchecked Sendable {
        let buffer: UnsafeBufferPointer<(TreeFile, [UInt8])>
        init(_ buffer: UnsafeBufferPointer<(TreeFile, [UInt8])>) { self.buffer = buffer }
    }
}
