"""Local stand-ins for the outside systems (Google Calendar, later the WhatsApp Graph API)."""
