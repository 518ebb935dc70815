"""Helpers for tests/test_website.py: serve the built site, drive headless Chromium."""
