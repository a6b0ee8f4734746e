import CNcurses
/// The terminal module: the only importer of ncurses.
public enum TerminalModule {}
