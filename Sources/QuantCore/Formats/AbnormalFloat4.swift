/// AbnormalFloat 4-bit (AF4): bitsandbytes' `get_4bit_type("af4", blocksize=64)`, the table of
/// Yoshida's "NF4 Isn't Information Theoretically Optimal (and that's Good)" (arXiv:2306.06965).
///
/// NF4 places its levels at quantiles of a normal distribution; AF4 instead minimises the expected
/// error of a block of 64 normal values after absmax scaling, whose largest |x| always lands on ±1 —
/// so its inner levels sit closer to 0 than NF4's. Codes follow bitsandbytes' table order (code 0 is
/// +1, code 15 is −1); each value takes the code of its nearest level of x ÷ block absmax, a value
/// exactly between two levels the lower one (as NF4). bitsandbytes defines the table for blocks of 64
/// only; qscope applies it at any block size, where it is no longer the optimum it was derived as.
extension CodeTableFormat {
    static let af4 = CodeTableFormat(
        traits: FormatTraits(
            name: "af4", family: .bitsandbytes, bitsPerCode: 4, doubleQuant: .compressesAbsmax, layout: .absmaxScaled,
            summary: "AbnormalFloat 4-bit (bitsandbytes' get_4bit_type(\"af4\"), blocks of 64): 16 levels that minimise the error of a normal block after absmax scaling, nearest level of x / block absmax",
            domainLabel: "x ÷ absmax"),
        levels: [1.0, 0.72424863, 0.55496234, 0.42563882, 0.31675666, 0.21961274, 0.12934483, 0.04273164,
                 0.0, -0.04934812, -0.14982478, -0.25607552, -0.3736951, -0.51243739, -0.69441008, -1.0],
        tie: .lower) { f in
            "AbnormalFloat 4-bit keeps NF4's shape — 16 levels, an exact 0, ±1 at the ends — but places the inner "
                + "levels to minimise the expected error of a block of 64 normal values after absmax scaling: "
                + "\(ExplanationFacts.list(f.levels)). Because every block's largest |x| lands on ±1, the other values "
                + "of a block are smaller than a normal quantile would suggest, so AF4's levels sit closer to 0 than NF4's. "
                + "The table is derived for blocks of 64; at other block sizes it is no longer the optimum."
        }
}
