"""Staff tools: question-log inbox, YAML edits, announcement import, lint, statistics."""
