import TensorIO
/// The quantization engine.
public enum QuantCoreModule {}
