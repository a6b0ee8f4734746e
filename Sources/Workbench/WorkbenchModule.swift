/// The workbench module: app state, update loop and views.
public enum WorkbenchModule {}
