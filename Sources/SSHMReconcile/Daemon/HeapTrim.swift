#if canImport(Glibc)
    import Glibc
#endif

/// glibc's `malloc_trim`, which Swift's Glibc module does not declare (it lives in `<malloc.h>`).
///
/// A big pass (the first one, a resync) leaves the heap at its high-water mark, and glibc keeps freed memory
/// unless asked: the daemon asks after every pass, so that an idle daemon holds only what it uses.
enum HeapTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let trim: Trim? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
    }()

    static func releaseFreeMemory() { _ = trim?(0) }
}
