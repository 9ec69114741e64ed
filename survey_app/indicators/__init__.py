"""The gender-equality database: indicator figures by area, period and sex, entered and browsed."""
