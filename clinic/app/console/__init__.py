"""The practice's web console (`python -m clinic.app.console`, started by `make run`): the inbox of
conversations needing a human, a conversation with its reply box, the agenda with no-shows, and
the staff accounts. Another client of the core services, never a second implementation."""
