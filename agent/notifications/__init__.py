"""Notifications: the words of every message and their delivery through the outbox."""
