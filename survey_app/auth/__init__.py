"""Logging in and out, and choosing the interface language."""
