"""Helpers shared by the test suites (fakes, small servers)."""
