import Foundation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Usage errors that say what was meant, and batch outputs that agree across formats: the real binary.
@Suite("batch messages and outputs", .serialized)
struct BatchOutputTests {
    let sample = CLI.repoRoot.appendingPathComponent("samples/minilm-l6.safetensors").path
    let weight = "encoder.layer.0.output.dense.weight"
    let npy = CLI.fixtures.appendingPathComponent("weights.npy").path

    /// One `qscope: error:` line, exit 2, containing every one of `parts`.
    func expectUsage(_ args: [String], _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLI.run(args)
        #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("qscope: error:") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)",
                sourceLocation: sourceLocation)
        for p in parts { #expect(r.stderr.contains(p), "\(args): '\(p)' not in \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(!r.stderr.contains("Usage:") && r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func blockSizesSayPowerOfTwo() throws {
        try expectUsage(["report", npy, "--block", "100"], ["--block 100 is not a power of two", "did you mean 128?", "row, column or tensor"])
        try expectUsage(["report", npy, "--block", "-64"], ["--block -64", "positive"])
        try expectUsage(["report", npy, "--block=-64"], ["positive"])
        try expectUsage(["inspect", npy, "--block", "8"], ["out of range", "did you mean 16?"])
        try expectUsage(["sweep", npy, "--blocks", "64,100"], ["--blocks 100 is not a power of two"])
        let missing = try CLI.run(["report", npy, "--block", "-64"])
        #expect(!missing.stderr.contains("Missing value"))
    }

    @Test func unknownSubcommandsDatatypesAndOptionsGetTheNearestName() throws {
        try expectUsage(["reprot", npy], ["'reprot' is neither a subcommand nor a file", "did you mean 'report'?"])
        try expectUsage(["swep", npy, "--tensor", "x"], ["did you mean 'sweep'?"])
        try expectUsage(["report", npy, "--dtype", "nf5"], ["unknown datatype 'nf5'", "did you mean 'nf4'?"])
        try expectUsage(["sweep", npy, "--dtypes", "nf4,int5"], ["--dtypes: unknown datatype 'int5'", "did you mean"])
        try expectUsage(["report", npy, "--dtpye", "nf4"], ["unknown option '--dtpye'", "did you mean '--dtype'?"])
        try expectUsage(["inspect", npy, "--wrost"], ["unknown option '--wrost'", "did you mean '--worst'?"])
        try expectUsage(["report", npy, "--zzzzzzzz"], ["unknown option '--zzzzzzzz'", "--help"])
        try expectUsage(["inspect", npy, "--index", "-1"], ["--index=-1"])
        try expectUsage(["report", npy, "--format", "jsn"], ["'jsn' is not an output format", "did you mean 'json'?"])
        try expectUsage(["help", "reprot"], ["no subcommand 'reprot'", "did you mean 'report'?"])
        // The workbench's own options are checked too (FILE without a subcommand).
        try expectUsage([npy, "--dtype", "nf5"], ["did you mean 'nf4'?"])
        // Neither file nor subcommand, and nothing near: a missing file (exit 1) that says both.
        let bogus = try CLI.run(["bogus"])
        #expect(bogus.status == 1 && bogus.stderr.hasPrefix("qscope: error: 'bogus' is neither a file nor a subcommand"), "\(bogus.stderr)")
        // Opening a file without a subcommand still reaches the workbench (which needs a terminal).
        let open = try CLI.run([npy])
        #expect(open.stderr.contains("the workbench needs a terminal") && !open.stderr.contains("neither"), "\(open.stderr)")
        // Help is untouched.
        #expect(try CLI.run(["help", "report"]).status == 0)
        #expect(try CLI.run(["plot", "--help"]).stdout.contains("--force"))
    }

    @Test func int8WithoutActivationsFileNamesTheFlag() throws {
        let r = try CLI.run(["int8", sample, "--weight", weight, "--activations", "encoder.layer.0.output.dense.input"])
        #expect(r.status == 2 && r.stderr.contains("--activations-file"), "\(r.stderr)")
    }

    @Test func isolateWarnsAboutALargeShare() throws {
        let r = try CLI.run(["isolate", npy, "--percents", "1,50", "--format", "json"])
        #expect(r.status == 0)
        #expect(r.stderr.hasPrefix("qscope: warning: keeping 50 % of the weights in fp16 costs 24.00 bits/param"), "\(r.stderr)")
        #expect(r.stderr.contains("SpQR keeps about 1 %") && r.stderr.contains("more than storing every weight in fp16"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        // The JSON on stdout is untouched by the warning.
        #expect((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) != nil)
        let quiet = try CLI.run(["isolate", npy, "--percents", "0,1,2"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty)
    }

    @Test func inspectWorstInEveryFormat() throws {
        let base = ["inspect", sample, "--tensor", weight, "--worst"]
        let text = try CLI.run(base)
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.contains("dequantized") })
        let table = Array(lines[header...])
        #expect(table.count == 65)
        // Fixed-width, right-aligned columns: every row as wide as the header, every cell separated by spaces.
        for row in table {
            #expect(row.count == table[0].count, "\(row)")
            #expect(row.split(separator: " ").count == 7, "\(row)")
            #expect(!row.contains(where: { $0 == "-" }) || !row.contains(try! Regex(#"\d-\d"#)), "\(row)")
        }
        #expect(text.stdout.contains("block 6408 of 9216") && text.stdout.contains("scale (x ÷ this) 0.9743"))

        let json = try CLI.json(base + ["--format", "json"])
        let block = try #require(json["block"] as? [String: Any])
        #expect(block["index"] as? Int == 6408)
        #expect((block["scale"] as? Double).map { abs($0 - 0.9742957) < 1e-6 } == true)
        #expect((block["absmax"] as? Double).map { abs($0 - 0.9742957) < 1e-6 } == true)
        #expect(block["codes_used"] as? Int == 7 && block["max_abs_error_element"] as? Int == 31)
        #expect((block["squared_error"] as? Double).map { abs($0 - 0.03957) < 1e-5 } == true)

        let csv = try CLI.run(base + ["--format", "csv"]).stdout.split(separator: "\n").map(String.init)
        #expect(csv.count == 65)
        #expect(csv[0] == "block,index,value,normalized,code,level,dequantized,error,scale,zero_point,absmax")
        #expect(csv[1].hasPrefix("6408,410112,") && csv[1].hasSuffix(",0.9742957,,0.9742957"))

        let md = try CLI.run(base + ["--format", "markdown"]).stdout
        #expect(md.contains("block 6408 of 9216") && md.contains("absmax 0.9743") && md.contains("scale (x ÷ this) 0.9743"))
        #expect(md.contains("| index | x | x÷scale | code | level | dequantized | error |"))
        #expect(md.contains("| 410112 | -0.019614715 | -0.020132199 | 7 | 0 | 0 | 0.019614715 |"))
    }

    @Test func sweepRowsInTheSameOrderInEveryFormat() throws {
        let args = ["sweep", npy, "--dtypes", "nf4,int4,int8,fp4", "--blocks", "32,128,row", "--double-quant"]
        let json = try CLI.json(args + ["--format", "json"])
        let rows = try #require(json["rows"] as? [[String: Any]])
        func label(_ dtype: String, _ dq: Bool, _ block: String) -> String { dtype + (dq ? " +dq" : "") + " " + block }
        let fromJSON = rows.map { r in
            label(r["dtype"] as? String ?? "", r["double_quant"] as? Bool ?? false, (r["block"]).map { "\($0)" } ?? "")
        }
        let fromCSV = try CLI.run(args + ["--format", "csv"]).stdout.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: ",").map(String.init)
            return label(f[0], f[2] == "true", f[1])
        }
        let fromText = try CLI.run(args).stdout.split(separator: "\n").dropFirst(2).dropLast().map { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            return f[1] == "+dq" ? label(f[0], true, f[2]) : label(f[0], false, f[1])
        }
        let fromMarkdown = try CLI.run(args + ["--format", "markdown"]).stdout.split(separator: "\n").dropFirst(2).map { line in
            let f = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return f[0] + " " + f[1]
        }
        #expect(fromJSON.count == rows.count && rows.count > 10)
        #expect(fromJSON == fromCSV)
        #expect(fromJSON == fromText)
        #expect(fromJSON == fromMarkdown)
        // By cost: bits per parameter never decrease.
        let bits = rows.compactMap { $0["bits_per_param"] as? Double }
        #expect(bits == bits.sorted())
    }

    @Test func scanCarriesItsConfiguration() throws {
        let csv = try CLI.run(["scan", sample, "--dtype", "int4", "--block", "128", "--format", "csv"]).stdout.split(separator: "\n")
        #expect(csv[0] == "name,shape,source_dtype,count,dtype,block,double_quant,sqnr_db,rel_fro_err,max_abs_err,bits_per_param,outlier_columns")
        #expect(csv.dropFirst().allSatisfy { $0.contains(",F32,") && $0.contains(",int4,128,false,") })
        let md = try CLI.run(["scan", sample, "--dtype", "int4", "--block", "128", "--double-quant", "--format", "markdown"]).stdout
        #expect(md.contains("5 tensors at int4 · block 128 · double quant"))
        #expect(md.contains("| tensor | shape | stored | dtype | block |"))
        #expect(md.contains("| 384×1536 | F32 | int4 +dq | 128 |"))
    }

    @Test func reportMarkdownReadsLikeTheText() throws {
        let args = ["report", sample, "--tensor", weight]
        let text = try CLI.run(args).stdout
        let md = try CLI.run(args + ["--format", "markdown"]).stdout
        #expect(text.contains("MSE         1.802e-05") && md.contains("| mse | 1.802e-05 |"))
        #expect(md.contains("| sqnr_db | 20.56 dB |") && md.contains("| kurtosis | 1582 |"))
        // No number with more than 6 significant digits.
        #expect(md.firstMatch(of: try Regex(#"\d\.\d{7,}"#)) == nil)
        // Outlier ratios: the same figure as the text report (and the workbench).
        #expect(text.contains("55.5× median") && md.contains("55.5× median"))
    }

    @Test func plotWritesAFigure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qscope-plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("fig.svg").path
        let r = try CLI.run(["plot", sample, "--tensor", weight, "--dtype", "nf4", "--block", "64", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        #expect(svg.components(separatedBy: "<line class=\"level\"").count - 1 == 16)
        #expect(svg.contains("<title>encoder.layer.0.output.dense.weight: nf4 · block 64</title>"))
        #expect(svg.contains("SQNR 20.56 dB"))
        // No temporary file left beside it; an existing file is kept without --force.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["fig.svg"])
        let again = try CLI.run(["plot", sample, "--tensor", weight, "--dtype", "fp4", "-o", out])
        #expect(again.status == 1 && again.stderr.contains("--force"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == svg)
        let forced = try CLI.run(["plot", sample, "--tensor", weight, "--dtype", "fp4", "--double-quant", "--log", "-o", out, "--force"])
        #expect(forced.status == 0)
        let fp4 = try String(contentsOfFile: out, encoding: .utf8)
        #expect(fp4.contains("fp4 · block 64 · double quant") && fp4.contains("count (log scale)"))
        try expectUsage(["plot", sample, "--tensor", weight, "--block", "100", "-o", out], ["power of two"])
    }
}
