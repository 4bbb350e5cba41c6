"""Train the Rasa model only when its inputs change.

The model's name is a hash of everything that shapes it (config, domain, training data and the
pinned dependency set), so ``models/<hash>.tar.gz`` is either the right model or absent. A
shared cache outside the checkout (``CLINIC_MODEL_CACHE``) lets a fresh clone, such as CI's,
reuse a model trained earlier from the very same inputs. The red-flag model
(clinic.domain.safety.classifier) is built into the same cache first.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

INPUTS = ("config.yml", "domain.yml", "domain", "data", "constraints.txt")
DEFAULT_CACHE = Path.home() / ".cache" / "clinic-assistant" / "models"


def _files(root: Path) -> Iterable[Path]:
    for name in INPUTS:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())


def fingerprint(root: Path) -> str:
    """A short hash of the model's inputs: paths relative to `root`, and their bytes."""
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path) -> Path:
    return root / "models" / f"{fingerprint(root)}.tar.gz"


def cache_dir() -> Path:
    return Path(os.environ.get("CLINIC_MODEL_CACHE") or DEFAULT_CACHE)


def ensure_model(root: Path, rasa_argv: list[str]) -> Path:
    """Return the up-to-date model for `root`, training it with `rasa_argv` when needed."""
    target = model_path(root)
    if target.exists():
        print(f"model up to date: {target.relative_to(root)}")
        return target
    cached = cache_dir() / target.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if cached.exists():
        shutil.copy2(cached, target)
        print(f"model restored from cache: {target.relative_to(root)}")
        return target
    print(f"training model {target.name} (inputs changed)…", flush=True)
    command = [
        *rasa_argv,
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml" if (root / "domain.yml").exists() else "domain",
        "--data",
        "data",
        "--out",
        "models",
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(command, cwd=root)
    if result.returncode != 0 or not target.exists():
        raise SystemExit(f"error: `rasa train` failed (exit {result.returncode})")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, cached)
    except OSError as error:  # a read-only cache must not fail the build
        print(f"note: model not cached ({error})", file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the Rasa model if its inputs changed")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--print-path", action="store_true", help="only print the model path")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.print_path:
        print(model_path(root))
        return
    # The red-flag model first: every process, `rasa train` included, then loads it from the cache.
    subprocess.run([sys.executable, "-m", "clinic.domain.safety"], cwd=root, check=True)
    rasa = [sys.executable, "-m", "connectors.launch", "rasa"]
    ensure_model(root, rasa)


if __name__ == "__main__":
    main()
