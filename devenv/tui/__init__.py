"""`devenv tui`: a Textual app with live service health, logs and actions."""
