"""Design-based estimation, weighting, tables and reports."""
