"""Thin rasa-sdk actions: read the tracker, call the core (clinic/), utter. Nothing else."""
