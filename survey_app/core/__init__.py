"""What every area of the web app shares: access rules, the audit log, language choice, the form
base class and the store of published questionnaire versions."""
