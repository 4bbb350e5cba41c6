"""Rasa's side of the project: the WhatsApp input channel, the sealed tracker store, the
red-flag NLU component, the action server, and every change made inside Rasa (patches.py),
installed by the launcher (launch.py). Thin: the work is done by `clinic/`."""
