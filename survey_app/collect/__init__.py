"""Enumerator screens: assignments, interviews, draft saves and submission."""
