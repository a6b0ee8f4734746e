import Foundation
import QuantCore
import TensorIO
import Testing
@testable import Workbench

/// A tensor that its file stores quantized opens in that format, so "what if it were another
/// datatype?" is one key away.
@Suite("opening in the stored format")
struct StoredFormatLaunchTests {
    static let bnb = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bnb")

    func open(_ file: String, tensor: String, dtype: DataType? = nil, block: BlockSize? = nil) throws -> WorkbenchState {
        let f = try TensorFile.open(Self.bnb.appendingPathComponent(file).path)
        return WorkbenchLauncher.state(file: f, tensor: tensor, config: { own in
            QuantConfig(dtype: dtype ?? own, block: block ?? .elements(64))
        }, userChoseBlock: block != nil, themes: [], activations: [])
    }

    @Test func bitsandbytesWeightsOpenInTheirOwnFormat() throws {
        let nf4 = try open("nf4-dq-bf16.safetensors", tensor: "model.layers.0.mlp.down_proj.weight")
        #expect(nf4.dtype == .nf4 && nf4.userBlock == .elements(64) && nf4.doubleQuant)
        let fp4 = try open("fp4-f16.safetensors", tensor: "model.layers.0.self_attn.q_proj.weight")
        #expect(fp4.dtype == .fp4 && !fp4.doubleQuant)
        let int8 = try open("int8-f16.safetensors", tensor: "model.layers.0.self_attn.q_proj.weight")
        #expect(int8.dtype == .int8 && int8.userBlock == .row)
        let edge = try open("edge.safetensors", tensor: "wide.weight")
        #expect(edge.dtype == .nf4 && edge.userBlock == .elements(128) && edge.doubleQuant)
        // What the user asked for wins.
        let chosen = try open("nf4-dq-bf16.safetensors", tensor: "model.layers.0.mlp.down_proj.weight", dtype: .int4, block: .elements(32))
        #expect(chosen.dtype == .int4 && chosen.userBlock == .elements(32) && !chosen.doubleQuant)
        // A plain tensor of the same file starts at the default.
        let plain = try open("nf4-dq-bf16.safetensors", tensor: "model.norm.weight")
        #expect(plain.dtype == .nf4 && !plain.doubleQuant)
    }
}
