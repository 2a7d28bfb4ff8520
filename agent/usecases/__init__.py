"""Use cases: what a command or a daemon job does, calling flows, storage, the judge and notifications."""
