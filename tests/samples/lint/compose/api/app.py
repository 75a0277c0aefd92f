"""Placeholder service code: lint never builds or runs this image."""
