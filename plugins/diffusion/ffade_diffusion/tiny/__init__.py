"""Builders shared by the scripts that train the bundled tiny models and by the tests."""
