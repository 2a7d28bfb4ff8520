"""The page on the home server: the second interface, over the same use cases and view models as the CLI."""
