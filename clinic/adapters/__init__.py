"""The outside world behind plain Python: the SQL database (`storage`), the WhatsApp Cloud API,
calendars, Duckling, mail, sealing, settings, logs and metrics exposition.

Adapters import the domain, never a service or the app."""
