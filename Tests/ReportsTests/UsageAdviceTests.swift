import Foundation
import QuantCore
@testable import Reports
import Testing

/// The "did you mean …" of usage errors: the edit distance, the nearest name, and the sentences about
/// datatypes and block sizes.
@Suite("usage advice")
struct UsageAdviceTests {
    @Test func editDistanceCountsASwapAsOneEdit() {
        #expect(NameSuggestion.distance("reprot", "report") == 1)
        #expect(NameSuggestion.distance("nf5", "nf4") == 1)
        #expect(NameSuggestion.distance("--dtpye", "--dtype") == 1)
        #expect(NameSuggestion.distance("", "abc") == 3)
        #expect(NameSuggestion.distance("kitten", "sitting") == 3)
        #expect(NameSuggestion.distance("NF4", "nf4") == 0)
    }

    @Test func nearestSubcommandDatatypeAndOption() {
        let subcommands = ["open", "list", "report", "sweep", "scan", "compare", "quantize", "dequantize", "inspect", "int8", "plot"]
        #expect(NameSuggestion.nearest(to: "reprot", in: subcommands) == "report")
        #expect(NameSuggestion.nearest(to: "swep", in: subcommands) == "sweep")
        #expect(NameSuggestion.nearest(to: "quant", in: subcommands) == "quantize")
        #expect(NameSuggestion.nearest(to: "bogus", in: subcommands) == nil)
        let datatypes = DataType.allCases.map(\.name)
        #expect(NameSuggestion.nearest(to: "nf5", in: datatypes) == "nf4")
        #expect(NameSuggestion.nearest(to: "NF4", in: datatypes) == "nf4")
        #expect(NameSuggestion.nearest(to: "zzzzzz", in: datatypes) == nil)
        #expect(NameSuggestion.nearest(to: "--dtpye", in: ["--dtype", "--block", "--tensor", "--format"]) == "--dtype")
        #expect(NameSuggestion.didYouMean("nf5", in: datatypes) == "; did you mean 'nf4'?")
        #expect(NameSuggestion.didYouMean("zzzzzz", in: datatypes).isEmpty)
    }

    @Test func datatypeAdvice() throws {
        #expect(UsageAdvice.datatype("nf4") == nil)
        let nf5 = try #require(UsageAdvice.datatype("nf5"))
        #expect(nf5.contains("unknown datatype 'nf5'") && nf5.contains("did you mean 'nf4'?"))
        // Nothing near: the list, so that the user can still choose.
        let far = try #require(UsageAdvice.datatype("zzzzzz"))
        #expect(far.contains("nf4") && far.contains("mxfp4") && !far.contains("did you mean"))
    }

    @Test func blockAdviceSaysPowerOfTwoAndWhatIsAccepted() throws {
        for ok in ["16", "64", "4096", "row", "column", "tensor"] { #expect(UsageAdvice.blockSize(ok) == nil, "\(ok)") }
        let hundred = try #require(UsageAdvice.blockSize("100"))
        #expect(hundred.contains("not a power of two") && hundred.contains("did you mean 128?"))
        #expect(hundred.contains("16, 32, 64, 128, 256, 512, 1024, 2048, 4096") && hundred.contains("row, column or tensor"))
        let negative = try #require(UsageAdvice.blockSize("-64"))
        #expect(negative.contains("positive") && !negative.contains("Missing"))
        #expect(try #require(UsageAdvice.blockSize("8")).contains("out of range; did you mean 16?"))
        #expect(try #require(UsageAdvice.blockSize("8192")).contains("did you mean 4096?"))
        #expect(try #require(UsageAdvice.blockSize("64.5")).contains("whole number"))
        #expect(try #require(UsageAdvice.blockSize("colum")).contains("did you mean 'column'?"))
        #expect(try #require(UsageAdvice.blockSize("48", option: "--blocks")).hasPrefix("--blocks 48 is not a power of two"))
    }
}
