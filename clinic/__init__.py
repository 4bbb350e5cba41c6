"""The Rasa-free core of the appointment assistant.

Everything that knows about the practice, the calendar, the database, WhatsApp's Graph API or
time expressions lives here, so it can be tested without Rasa and reused by the actions, the
connector, the worker and the staff command line alike.
"""
