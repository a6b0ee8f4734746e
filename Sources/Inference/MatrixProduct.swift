#if canImport(Accelerate)
import Accelerate
#else
import COpenBLAS
#endif

/// The forward pass's matrix products, through the system's CBLAS `sgemm` (OpenBLAS on Linux,
/// Accelerate on macOS).
///
/// Measured on the bundled MiniLM (bench/forward.py): OpenBLAS's hand-written Haswell kernels keep
/// the products at the speed of PyTorch's own, which a portable Swift kernel did not reach.
enum MatrixProduct {
    /// `y[m, n] = x[m, k] · w[n, k]ᵀ + bias[n]` (a Linear layer: rows of `w` are output features).
    static func linear(_ x: UnsafePointer<Float>, rows m: Int, weight w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                       outFeatures n: Int, inFeatures k: Int, into y: UnsafeMutablePointer<Float>) {
        guard m > 0, n > 0 else { return }
        if let bias {
            for r in 0..<m { (y + r * n).update(from: bias, count: n) }
        }
        guard k > 0 else {
            if bias == nil { y.update(repeating: 0, count: m * n) }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, x, Int32(k), w, Int32(k), bias == nil ? 0 : 1, y, Int32(n))
    }

    /// Sets the worker threads the products may use (OpenBLAS keeps one global setting; a cheap call).
    static func setThreads(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(max(1, n)))
        #endif
    }
}
