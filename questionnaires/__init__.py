"""Questionnaire definitions: the format, its loader and the expression engine."""
