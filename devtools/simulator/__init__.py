"""A WhatsApp you can run on your own machine: a fake Graph API that speaks Meta's wire format
and a chat page that posts real, signed webhooks to the connector. Tests use the same fake."""
