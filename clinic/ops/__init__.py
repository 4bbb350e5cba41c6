"""Operating the stack locally: process supervision, model cache, launchers. No Rasa imports."""
