"""Developer tools, not shipped in the package or used in production: the stack supervisor
(`make run`), the model cache, the NLU gate, the WhatsApp simulator and the Google Calendar
emulator."""
