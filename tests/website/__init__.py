"""Helpers for tests/test_website.py: serve the built site and drive headless Chromium."""
