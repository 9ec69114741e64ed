"""Results area: analysts publish report runs; departments download their own pack."""
