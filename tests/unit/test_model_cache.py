from pathlib import Path

from devtools.model import fingerprint, model_path


def _project(root: Path) -> None:
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "config.yml").write_text("pipeline: []\n")
    (root / "domain.yml").write_text("intents: [greet]\n")
    (root / "data" / "nlu" / "a.yml").write_text("nlu: []\n")


def test_fingerprint_is_stable_and_follows_every_input(tmp_path: Path) -> None:
    _project(tmp_path)
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first
    (tmp_path / "README.md").write_text("docs do not shape the model")
    assert fingerprint(tmp_path) == first
    (tmp_path / "data" / "nlu" / "a.yml").write_text("nlu: [x]\n")
    second = fingerprint(tmp_path)
    assert second != first
    (tmp_path / "data" / "nlu" / "b.yml").write_text("nlu: []\n")
    assert fingerprint(tmp_path) != second
    assert model_path(tmp_path).name == f"{fingerprint(tmp_path)}.tar.gz"


def test_a_rename_changes_the_fingerprint(tmp_path: Path) -> None:
    _project(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "data" / "nlu" / "a.yml").rename(tmp_path / "data" / "nlu" / "z.yml")
    assert fingerprint(tmp_path) != before
