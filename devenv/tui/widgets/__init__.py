"""Widgets of the TUI; they hold state and post messages, never call the engine."""
