"""The statistical half of the red-flag detector: a linear model over character and word n-grams.

The patterns (clinic.domain.safety.lexicon) read what they were written for; people in danger keep
finding new words. This model, trained in-process on the tuning part of the safety corpus (the
danger messages, by category, and the hard negatives) plus the assistant's own NLU examples as
ordinary messages, scores how much a message looks like a danger. Logistic regression on TF-IDF
(scikit-learn, already installed with Rasa): it trains in 15 to 30 s, answers in about a
millisecond, needs no download, and its thresholds were chosen on a validation part, never on
the held-out one (docs/safety.md). If it cannot be built, the patterns answer alone.

Training costs a core for half a minute, and every process that reads messages needs the model:
so it is trained once per content and kept as plain arrays (`.npz`, no pickle, nothing that runs
code on load) in the model cache, keyed by a hash of everything that shapes it. `make model` and
the image build fill that cache; a process that finds it loads the model in about a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic.domain.safety.categories import Category
from clinic.domain.safety.normalise import sentences

logger = logging.getLogger(__name__)

TUNING = Path(__file__).parent / "data" / "tuning.jsonl"
#: The assistant's NLU examples (ordinary messages), when the project's data/ is beside the code.
NLU = Path(__file__).parents[3] / "data" / "nlu"
#: Intents whose examples are not ordinary messages.
_NOT_ORDINARY = {"emergency", "ask_medical_advice"}
NONE = "none"
#: Regularisation, chosen by validation (docs/safety.md).
C = 64.0


def flatten(text: str) -> str:
    """The message as the model reads it: normalised words, clauses and sentences marked."""
    return join(sentences(text))


def join(parsed: list[list[str]]) -> str:
    """Sentences of clauses (`normalise.sentences`) as one string, clauses and sentences marked."""
    return " . ".join(" , ".join(clauses) for clauses in parsed)


def _examples(path: Path) -> Iterable[tuple[str, str]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            yield row["text"], row.get("category") or NONE


_ENTITY = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


def nlu_examples(folder: Path = NLU) -> list[str]:
    """The ordinary messages of data/nlu (every intent but emergencies and medical questions).
    A missing folder is an error, not an empty list: the model once trained for a day without
    them, unnoticed, when this module moved."""
    import yaml

    if not folder.is_dir():
        raise FileNotFoundError(f"no NLU examples in {folder}")
    texts: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in item or item["intent"] in _NOT_ORDINARY:
                continue
            for line in str(item.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.append(_ENTITY.sub(lambda m: m.group(1) or m.group(2), line[2:]))
    return texts


@dataclass(frozen=True)
class Score:
    """How much a message looks like a danger (1 - P(ordinary)) and its likeliest category."""

    danger: float
    category: Category


class DangerModel:
    """The trained pipeline, and the same computation unrolled for one message: scikit-learn's
    `predict_proba` costs about 2.5 ms per call in checks and sparse matrices; reading the
    vocabularies, idf weights and coefficients directly gives the same probabilities (a test
    holds them equal) in a fraction of that."""

    def __init__(
        self,
        classes: list[str],
        vocabularies: list[dict[str, int]],
        idfs: list[Any],
        coef: Any,
        intercept: Any,
        pipeline: Any = None,
    ) -> None:
        import numpy as np

        self.pipeline = pipeline  # the scikit-learn pipeline when trained here, None when loaded
        self._np = np
        self._names = classes
        self._none = classes.index(NONE)
        self._classes = [c if c == NONE else Category(c) for c in classes]
        self._parts = []
        offset = 0
        for vectorizer, vocabulary, idf in zip(_vectorizers(), vocabularies, idfs, strict=True):
            self._parts.append((vectorizer.build_analyzer(), vocabulary, idf, offset))
            offset += len(vocabulary)
        self._coef = coef
        self._intercept = intercept

    @classmethod
    def train(cls, examples: Iterable[tuple[str, str]]) -> DangerModel:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        pairs = [(flatten(text), label) for text, label in examples]
        texts = [text for text, _ in pairs]
        labels = [label for _, label in pairs]
        pipeline = make_pipeline(
            make_union(*_vectorizers()),
            LogisticRegression(C=C, max_iter=3000, class_weight="balanced"),
        )
        pipeline.fit(texts, labels)
        union, regression = pipeline.steps[0][1], pipeline.steps[-1][1]
        vectorizers = [vectorizer for _, vectorizer in union.transformer_list]
        return cls(
            [str(c) for c in pipeline.classes_],
            [{str(t): int(i) for t, i in v.vocabulary_.items()} for v in vectorizers],
            [v.idf_ for v in vectorizers],
            regression.coef_,
            regression.intercept_,
            pipeline,
        )

    def save(self, path: Path) -> None:
        """Write the model as plain arrays, atomically (a reader never sees half a file)."""
        import numpy as np

        arrays: dict[str, Any] = {
            "classes": np.array(self._names),
            "coef": self._coef,
            "intercept": self._intercept,
        }
        for n, (_, vocabulary, idf, _) in enumerate(self._parts):
            terms = sorted(vocabulary, key=vocabulary.__getitem__)
            arrays[f"terms{n}"] = np.array(terms)
            arrays[f"idf{n}"] = idf
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as out:
            np.savez(out, **arrays)
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> DangerModel:
        import numpy as np

        with np.load(path, allow_pickle=False) as arrays:
            count = len(_vectorizers())
            return cls(
                [str(c) for c in arrays["classes"]],
                [{str(t): i for i, t in enumerate(arrays[f"terms{n}"])} for n in range(count)],
                [arrays[f"idf{n}"] for n in range(count)],
                arrays["coef"],
                arrays["intercept"],
            )

    def probabilities(self, text: str) -> Any:
        """P(class) for one message: TF-IDF (sublinear tf, l2 per vectorizer), then softmax."""
        return self._probabilities(flatten(text))

    def _probabilities(self, flat: str) -> Any:
        np = self._np
        columns: list[int] = []
        weights: list[float] = []
        for analyze, vocabulary, idf, offset in self._parts:
            counts: dict[int, int] = {}
            for term in analyze(flat):
                index = vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            part = {i: (1.0 + math.log(n)) * idf[i] for i, n in counts.items()}
            norm = math.sqrt(sum(v * v for v in part.values())) or 1.0
            columns += [offset + i for i in part]
            weights += [v / norm for v in part.values()]
        logits = self._coef[:, columns] @ np.asarray(weights) + self._intercept
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def score(self, text: str) -> Score:
        return self.score_normalised(flatten(text))

    def score_normalised(self, flat: str) -> Score:
        """`score` of a message already read by `flatten` (the detector reads it once)."""
        probabilities = self._probabilities(flat)
        ranked = sorted((p, i) for i, p in enumerate(probabilities) if i != self._none)
        category = self._classes[ranked[-1][1]]
        assert isinstance(category, Category)
        return Score(1.0 - float(probabilities[self._none]), category)


def _vectorizers() -> list[Any]:
    """The two feature extractors, unfitted: character n-grams (typos, missing accents) and
    words and word pairs. A loaded model uses only their analyzers."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
    ]


def default_examples() -> list[tuple[str, str]]:
    examples = list(_examples(TUNING))
    if NLU.is_dir():
        examples += [(text, NONE) for text in nlu_examples()]
    return examples


_model: DangerModel | None = None
_failed = False
_lock = threading.Lock()


def model(wait: bool = False) -> DangerModel | None:
    """The process's model, or None while it is being trained (about 15 s, in a background
    thread started by the first call or by `warm_up`) or if it cannot be built: a patient's
    message never waits for it, the patterns answer alone meanwhile. `wait`: train it now if
    need be (tests, benchmarks)."""
    if _model is not None or _failed:
        return _model
    if wait:
        _train()
        return _model
    warm_up()
    return None


def _train() -> None:
    global _model, _failed
    with _lock:
        if _model is None and not _failed:
            try:
                _model = load_or_train()
            except Exception:
                _failed = True
                logger.exception("red-flag model not built: the patterns answer alone")


_SOURCES = (Path(__file__), Path(__file__).with_name("normalise.py"))


def fingerprint() -> str:
    """A hash of what shapes the model: the tuning data, the NLU examples, the code that reads
    messages and trains, and the scikit-learn and numpy versions."""
    import numpy
    import sklearn

    digest = hashlib.sha256(f"{sklearn.__version__} {numpy.__version__}".encode())
    files = [TUNING, *_SOURCES, *(sorted(NLU.glob("*.yml")) if NLU.is_dir() else [])]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cache_path() -> Path:
    """Where the model for today's inputs is kept: in `CLINIC_MODEL_CACHE`, beside the Rasa
    models (README, « Configure »)."""
    folder = os.environ.get("CLINIC_MODEL_CACHE") or Path.home() / ".cache/clinic-assistant/models"
    return Path(folder) / f"red-flags-{fingerprint()}.npz"


def load_or_train() -> DangerModel:
    """The cached model for today's inputs, or a new one, trained and cached (an unwritable
    cache, as in a read-only container, only costs the training)."""
    path = cache_path()
    if path.is_file():
        try:
            return DangerModel.load(path)
        except Exception:  # a damaged file is rebuilt, never trusted
            logger.warning("red-flag model cache unreadable, training again: %s", path)
    trained = DangerModel.train(default_examples())
    try:
        trained.save(path)
    except OSError as error:
        logger.warning("red-flag model not cached (%s): it is kept in memory only", error)
    return trained


_started = threading.Event()


def warm_up() -> None:
    """Load (or train) the model in a background thread, once per process: started by the
    WhatsApp channel and the NLU component as they start, so it is ready before the first patient."""
    if not _started.is_set():
        _started.set()
        threading.Thread(target=_train, name="red-flag-model", daemon=True).start()
