/// The TUI module: cells, buffers and widgets rendered without a terminal.
public enum TUIModule {}
