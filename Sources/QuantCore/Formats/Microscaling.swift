import TensorCore

/// OCP Microscaling (mxfp8, mxfp6, mxfp4, mxint8): blocks of 32 share a power-of-two E8M0 scale
/// `2^(floor(log2 absmax) − emax_elem)`; elements round to nearest even and saturate, so the block
/// maximum can clip.
public struct Microscaling: QuantFormat {
    /// The element format, or nil for MXINT8 (int8 elements k / 64).
    public let element: ElementFormat?
    let label: String
    let maxValue: Float

    public init(_ element: ElementFormat?, name: String) {
        self.element = element
        self.label = name
        self.maxValue = element?.maxValue ?? Float(127) / 64
    }

    public var traits: FormatTraits {
        let summary: String
        if let e = element {
            let emax = Int(maxValue.exponent)
            let clip = String(format: "%g", (1 - Double(maxValue) / Double(Float(sign: .plus, exponent: emax + 1, significand: 1))) * 100)
            summary = "OCP MX\(element == .e4m3 ? "FP8" : element == .e2m3 ? "FP6" : "FP4"): 32 \(e.name.uppercased()) elements share a power-of-two E8M0 scale 2^(floor(log2 absmax) - \(emax)); the block maximum can clip by up to \(clip) %"
        } else {
            summary = "OCP MXINT8: 32 int8 elements (k / 64) share a power-of-two E8M0 scale 2^floor(log2 absmax)"
        }
        return FormatTraits(
            name: label, family: .microscaling, bitsPerCode: element?.bits ?? 8, fixedBlock: 32,
            doubleQuant: .notApplicable(stores: "a power-of-two E8M0 scale"), layout: .sharedExponent,
            summary: summary, domainLabel: "x ÷ 2^e (E8M0)")
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        if let element { return Codebook(levels: element.codeValues, domainLabel: traits.domainLabel) }
        return Codebook(levels: (0..<256).map { Float(Int8(truncatingIfNeeded: $0)) / 64 }, domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax: Float) -> Codec {
        Codec(levels: codebook.levels, nearest: element.map(TableKernels.magnitudeSearch), maxValue: maxValue)
    }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int {
        count * traits.bitsPerCode + blocks * 8
    }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "Microscaling (OCP MX): \(traits.summary). The shared scale is a power of two stored in 8 bits, so the block "
            + "absmax is not mapped exactly onto the largest element: it can overshoot and clip (max |err| here "
            + "\(NumberFormat.compact(facts.maxAbsErr))), but scaling costs only 8 bits per 32 elements (0.25 bits/param) and is a shift in hardware."
    }

    public struct Codec: BlockCodec {
        let levels: [Float]
        let nearest: NearestLevel?
        let maxValue: Float

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic st: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            let emaxElem = Int(maxValue.exponent)
            var e = (st.absmax > 0 ? Int(st.absmax.exponent) : -126) - emaxElem
            e = Swift.min(Swift.max(e, -127), 127)
            let scale = Float(sign: .plus, exponent: e, significand: 1)
            if let nearest {
                TableKernels.encodeElements(x, count: count, stride: stride, divisor: scale, decodeScale: scale,
                                            maxValue: maxValue, nearest: nearest, table: levels, codes: codes, deq: decoded)
            } else {
                var i = 0
                for _ in 0..<count {
                    var k = (x[i] / scale * 64).rounded(.toNearestOrEven)
                    if k.isNaN { k = 0 }
                    k = Swift.min(Swift.max(k, -127), 127) + 0   // no −0: the code cannot carry it
                    codes[i] = UInt8(bitPattern: Int8(k))
                    decoded[i] = (k / 64) * scale
                    i += stride
                }
            }
            return BlockSide(scale: scale, byte: UInt8(e + 127))
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            if nearest != nil {
                TableKernels.decodeTable(codes, count: count, stride: stride, table: levels, scale: side.scale, into: out)
            } else {
                var i = 0
                for _ in 0..<count {
                    out[i] = (Float(Int8(bitPattern: codes[i])) / 64) * side.scale
                    i += stride
                }
            }
        }
    }
}

/// NVIDIA NVFP4: E2M1 elements in blocks of 16 with an FP8 E4M3 scale per block, under one FP32
/// scale per tensor (`absmax / (6 · 448)`).
public struct NVFP4: QuantFormat {
    public init() {}

    public var traits: FormatTraits {
        FormatTraits(
            name: "nvfp4", family: .nvfp4, bitsPerCode: 4, fixedBlock: 16, doubleQuant: .notApplicable(stores: "FP8 block scales"),
            needsTensorAbsmax: true, layout: .blockAndTensorScale,
            summary: "NVIDIA NVFP4: 16 E2M1 elements share an FP8 E4M3 scale, under one FP32 scale per tensor (absmax / (6 * 448))",
            domainLabel: "x ÷ (E4M3 block scale · fp32 tensor scale)")
    }

    public func codebook(fitted: [Float]?) -> Codebook {
        Codebook(levels: ElementFormat.e2m1.codeValues, domainLabel: traits.domainLabel)
    }

    public func codec(codebook: Codebook, tensorAbsmax amax: Float) -> Codec {
        Codec(levels: codebook.levels, tensorScale: amax > 0 ? amax / (6 * 448) : 1)
    }

    public func storedBits(count: Int, blocks: Int, doubleQuantBits: Int?) -> Int { count * 4 + blocks * 8 + 32 }

    public func explanation(_ facts: ExplanationFacts) -> String {
        "NVFP4: \(traits.summary). The FP8 scale per 16 elements follows each block's absmax closely (unlike MX's power "
            + "of two), and the blocks are small, so one outlier affects only 15 neighbours; the cost is 8 bits per 16 "
            + "elements plus the tensor scale."
    }

    public struct Codec: BlockCodec {
        let levels: [Float]
        /// The FP32 per-tensor scale.
        public let tensorScale: Float
        static let nearest = TableKernels.magnitudeSearch(.e2m1)

        public func encode(_ x: UnsafePointer<Float>, count: Int, stride: Int, statistic st: BlockStatistic,
                           codes: UnsafeMutablePointer<UInt8>, decoded: UnsafeMutablePointer<Float>) -> BlockSide {
            var sb = st.absmax / (6 * tensorScale)
            if sb == 0 || !sb.isFinite { sb = 1 }
            sb = Swift.max(sb, Float(sign: .plus, exponent: -9, significand: 1))
            let code = TableKernels.encodeScaleE4M3(sb)
            let scale = ElementFormat.e4m3.value(ofCode: Int(code)) * tensorScale
            TableKernels.encodeElements(x, count: count, stride: stride, divisor: scale, decodeScale: scale, maxValue: 6,
                                        nearest: Self.nearest, table: levels, codes: codes, deq: decoded)
            return BlockSide(scale: scale, byte: code)
        }

        public func decode(_ codes: UnsafePointer<UInt8>, count: Int, stride: Int, side: BlockSide, statistic: BlockStatistic,
                           into out: UnsafeMutablePointer<Float>) {
            TableKernels.decodeTable(codes, count: count, stride: stride, table: levels, scale: side.scale, into: out)
        }
    }
}
