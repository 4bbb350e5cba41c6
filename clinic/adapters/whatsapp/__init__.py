"""WhatsApp Cloud API, with no Rasa in it: webhook parsing and signatures, the Graph client,
message building within Meta's limits, pseudonymous identities, the outbox and delivery.

`connectors/whatsapp.py` is the thin Rasa channel over this package.
"""
