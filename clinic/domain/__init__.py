"""The rules of the practice, with no SQL, no HTTP and no Rasa: slots, time wishes, red flags,
the practice's own configuration, appointments as values, and the conversation gate.

Nothing here does I/O beyond reading `practice.yml`; adapters and services build on it, and
import-linter (`make lint`) keeps the arrows pointing here, never out."""
