"""Use cases: booking, the front desk, handoff, alerts, reminders, privacy, the report and the
export, and the conversation service a channel talks to. They combine domain rules with adapters;
only the app (`clinic.app`) builds them."""
