"""Rasa input/output channels, thin over the core's clients (WhatsApp comes next)."""
