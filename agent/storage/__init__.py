"""Storage: the SQLite database, the state directory, its locks and its evidence."""
