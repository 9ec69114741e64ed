"""Protection of sensitive data and accounts: field encryption, login throttling, key commands."""
