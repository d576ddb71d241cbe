"""The library's version, which every model card it writes records.

A module of its own so that the modules the package root imports (the pipelines)
can read it without importing the root: that would be an import cycle."""
__version__ = "0.1.0"
