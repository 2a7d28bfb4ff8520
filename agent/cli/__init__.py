"""The command-line interface: thin commands over the use cases, and how their results are printed."""
