"""Build the real-text corpus of chapter 8: the course's own prose and code.

Usage (from the repository root; a second)::

    python tools/real_text_corpus.py      # writes book/data/real_text_*

The corpus is a frozen snapshot of text this project wrote, so it carries no
licence question: the markdown cells of chapters 1-7 and the book's ``.md``
pages (prose), and the Python source of the package's core, kernels and
studies (code). Whole files go to one split: within each kind, sorted by
path, every fourth file starting with the second is held out for
validation, so no validation line was ever seen in training.

It writes ``real_text_train.txt`` and ``real_text_val.txt`` (the files of
each split, each followed by a newline) and ``real_text_manifest.json``:
every file with its kind, split, size and SHA-256, the sizes of the splits,
and the character set (the model's vocabulary, sorted by code point).

The shipped snapshot is frozen: the models of chapter 8 were trained on it.
Running this tool on a later tree (whose sources changed) writes a new
snapshot, after which ``tools/real_text_lm.py train`` must be run again.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "data"
PROSE = ["book/0[1-7]_*.ipynb", "book/*.md"]
CODE = ["mhacourse/*.py", "mhacourse/kernels/*.py", "mhacourse/studies/*.py"]
# Written after the snapshot, about the corpus itself: left out.
EXCLUDE = {"mhacourse/studies/real_text.py", "mhacourse/studies/text_roles.py"}


def file_text(path: pathlib.Path) -> str:
    """A file's prose or code: a notebook gives its markdown cells only."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        md = [
            "".join(c["source"]).strip() for c in cells if c["cell_type"] == "markdown"
        ]
        return "\n\n".join(md) + "\n"
    return path.read_text(encoding="utf-8")


def files(patterns: list[str]) -> list[pathlib.Path]:
    """Files matching the patterns, sorted by path, without EXCLUDE."""
    found = {p for pat in patterns for p in ROOT.glob(pat)}
    return sorted(p for p in found if p.relative_to(ROOT).as_posix() not in EXCLUDE)


def main() -> None:
    texts = {"train": [], "val": []}
    entries = []
    for kind, patterns in (("prose", PROSE), ("code", CODE)):
        for i, path in enumerate(files(patterns)):
            text = file_text(path)
            split = "val" if i % 4 == 1 else "train"
            texts[split].append(text + "\n")
            entries.append(
                dict(
                    path=path.relative_to(ROOT).as_posix(),
                    kind=kind,
                    split=split,
                    chars=len(text),
                    sha256=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
    joined = {split: "".join(parts) for split, parts in texts.items()}
    for split, text in joined.items():
        (OUT / f"real_text_{split}.txt").write_text(text, encoding="utf-8")
    charset = "".join(sorted(set(joined["train"]) | set(joined["val"])))
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    manifest = dict(
        command="python tools/real_text_corpus.py",
        commit=commit,
        split_rule="in each kind, sorted by path, file i is validation if i % 4 == 1",
        chars={s: len(t) for s, t in joined.items()},
        bytes={s: len(t.encode()) for s, t in joined.items()},
        charset=charset,
        files=entries,
    )
    (OUT / "real_text_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print({s: len(t) for s, t in joined.items()}, f"{len(charset)} characters")


if __name__ == "__main__":
    main()
