#if canImport(Glibc)
import Glibc

@_silgen_name("mallopt") private func c_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// How the process keeps the memory of freed arrays.
///
/// Every analysis allocates arrays as large as the tensor (codes, dequantized values), and the
/// workbench does it again on each key. glibc returns such large blocks to the kernel when they are
/// freed and asks for fresh pages on the next allocation; on virtual machines the page faults that
/// follow cost about 40 ms per 64 MB, more than the quantization itself. Keeping freed memory in
/// the process (one arena, no trimming, no separate mappings for large blocks) makes the next
/// allocation of the same size reuse the same, already mapped pages. The price: the resident size
/// stays at its peak until the process exits, which suits a workbench and a batch command.
public enum MemoryPolicy {
    /// Applies the policy; call once, early, before any worker thread starts.
    public static func keepFreedMemory() {
        #if canImport(Glibc)
        _ = c_mallopt(-8, 1)            // M_ARENA_MAX: worker threads share the main arena
        _ = c_mallopt(-3, 1 << 30)      // M_MMAP_THRESHOLD: large blocks come from the heap
        _ = c_mallopt(-1, Int32.max)    // M_TRIM_THRESHOLD: freed memory is not given back
        #endif
    }
}
