"""The gesurvey collection web app."""
