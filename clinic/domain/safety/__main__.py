"""`python -m clinic.domain.safety`: build the red-flag model into the model cache (`make model`,
the image build), so that no process has to train it as it starts."""

import sys

from clinic.domain.safety.classifier import cache_path, load_or_train

load_or_train()
sys.stdout.write(f"red-flag model ready: {cache_path()}\n")
