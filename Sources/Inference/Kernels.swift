import Foundation
import QuantCore

/// The element-wise and row-wise pieces of the forward pass: LayerNorm, GELU, softmax attention.
///
/// Each works on raw row-major buffers and splits rows (or sentences × heads) across threads;
/// nothing allocates per element.
enum Kernels {
    /// `out[r] = LayerNorm(a[r] + b[r])` over rows of `width` (b may be nil); population variance, as PyTorch.
    static func addLayerNorm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, rows: Int, width: Int,
                             gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
                             into out: UnsafeMutablePointer<Float>, threads: Int) {
        let pa = Shared(a), pb = b.map(Shared.init), po = SharedMut(out), pg = Shared(gamma), pbeta = Shared(beta)
        Parallel.forEachChunk(count: rows, threads: threads, minimumPerChunk: 64) { range in
            for r in range {
                let x = po.p + r * width, xa = pa.p + r * width
                if let pb {
                    let xb = pb.p + r * width
                    for i in 0..<width { x[i] = xa[i] + xb[i] }
                } else if x != UnsafeMutablePointer(mutating: xa) {
                    x.update(from: xa, count: width)
                }
                var sum: Float = 0
                for i in 0..<width { sum += x[i] }
                let mean = sum / Float(width)
                var sq: Float = 0
                for i in 0..<width { let d = x[i] - mean; sq += d * d }
                let inv = 1 / (sq / Float(width) + eps).squareRoot()
                for i in 0..<width { x[i] = (x[i] - mean) * inv * pg.p[i] + pbeta.p[i] }
            }
        }
    }

    /// The exact GELU, `x · ½ (1 + erf(x / √2))`, in place (erf on eight lanes, `VectorMath.erf`).
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, threads: Int) {
        let px = SharedMut(x)
        let invSqrt2 = Float(1 / 2.0.squareRoot())
        let vectors = count / 8
        Parallel.forEachChunk(count: vectors, threads: threads, minimumPerChunk: 2048) { range in
            for v in range {
                let p = UnsafeMutableRawPointer(px.p + v * 8)
                p.storeBytes(of: VectorMath.gelu(p.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
            }
        }
        for i in vectors * 8..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erf(v * invSqrt2))
        }
    }

    /// Multi-head self-attention over packed sentences: for each sentence (tokens `offsets[s]..<offsets[s+1]`
    /// of the rows of `q`, `k`, `v`, each `[tokens, heads·headSize]`) and head, softmax(q·kᵀ/√d)·v into `out`.
    ///
    /// Packing the sentences end to end is padding plus an attention mask without the padding: every token
    /// attends to exactly the tokens of its own sentence.
    static func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                          offsets: [Int], heads: Int, headSize d: Int, into out: UnsafeMutablePointer<Float>, threads: Int) {
        let sentences = offsets.count - 1
        let width = heads * d
        let longest = (0..<sentences).map { offsets[$0 + 1] - offsets[$0] }.max() ?? 0
        let pq = Shared(q), pk = Shared(k), pv = Shared(v), po = SharedMut(out)
        let scale = 1 / Float(d).squareRoot()
        Parallel.forEachChunk(count: sentences * heads, threads: threads, minimumPerChunk: 4) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(1, longest))
            defer { scores.deallocate() }
            for item in range {
                let s = item / heads, h = item % heads
                let start = offsets[s], length = offsets[s + 1] - start
                for i in 0..<length {
                    let qi = pq.p + (start + i) * width + h * d
                    var top = -Float.infinity
                    for j in 0..<length {
                        let kj = pk.p + (start + j) * width + h * d
                        let dot = Kernels.dot(qi, kj, d) * scale
                        scores[j] = dot
                        top = max(top, dot)
                    }
                    var total: Float = 0
                    var j = 0
                    let shift = SIMD8<Float>(repeating: top)
                    var sums = SIMD8<Float>()
                    while j + 8 <= length {
                        let p = UnsafeMutableRawPointer(scores + j)
                        let e = VectorMath.expNonPositive(p.loadUnaligned(as: SIMD8<Float>.self) - shift)
                        p.storeBytes(of: e, as: SIMD8<Float>.self)
                        sums += e
                        j += 8
                    }
                    total = sums.sum()
                    while j < length { let e = expf(scores[j] - top); scores[j] = e; total += e; j += 1 }
                    let inv = 1 / total
                    let oi = po.p + (start + i) * width + h * d
                    oi.update(repeating: 0, count: d)
                    for j in 0..<length {
                        Kernels.axpy(scores[j] * inv, pv.p + (start + j) * width + h * d, oi, d)
                    }
                }
            }
        }
    }

    /// Σ a[i]·b[i] over `n` values, eight lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc.addProduct(x, y)
            i += 8
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// `y[i] += alpha · x[i]` over `n` values.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let a = SIMD8<Float>(repeating: alpha)
        while i + 8 <= n {
            var acc = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            acc.addProduct(a, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(y + i).storeBytes(of: acc, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }
}

/// A read-only pointer handed to worker threads.
struct Shared<T>: @unchecked Sendable {
    let p: UnsafePointer<T>
    init(_ p: UnsafePointer<T>) { self.p = p }
}

/// A pointer whose disjoint parts worker threads write.
struct SharedMut<T>: @unchecked Sendable {
    let p: UnsafeMutablePointer<T>
    init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}
