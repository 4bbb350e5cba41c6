"""The Rasa-free core of the appointment assistant, in four layers that import downwards only:

- `clinic.domain`: rules, no SQL, no HTTP;
- `clinic.adapters`: the database, WhatsApp, calendars, Duckling, mail, settings, logs, metrics;
- `clinic.services`: the use cases, rules over adapters;
- `clinic.app`: the composition root and the processes (worker, console, CLI).

Rasa's side lives in `actions/` and `connectors/`; `make lint` checks the arrows (import-linter).
"""
