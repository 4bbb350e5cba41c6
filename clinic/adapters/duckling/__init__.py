"""Embedded Duckling: the real parser behind Duckling's own HTTP API."""
