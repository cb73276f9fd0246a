"""What many test modules share: the project's and the shared data's paths, and a fake embedder."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

__all__ = ["CORPUS", "EVAL", "EVAL_DOCS", "LADDERS", "ROOT", "SHARED", "FakeEmbedder", "need_shared"]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
# The read-only shared data beside the project: 46 real ladders and the hand-labelled dev set.
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
EVAL_DOCS = EVAL / "docs"
LADDERS = SHARED / "ladders"


def need_shared(path: Path = SHARED) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared/ folder sits beside the project)")
    return path


_WORD = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Deterministic stand-in for the sentence model in unit tests: a hashed bag of words and word
    pairs, L2-normalised, so texts sharing words are close and identical texts are identical.

    It implements the Embedder protocol (name, backend, dim, fingerprint, encode) and counts the
    texts it is asked to encode, so tests can see what a cache saved.
    """

    name = "fake-bag-of-words"
    backend = "fake"

    def __init__(self, dim: int = 96) -> None:
        self._dim = dim
        self.encoded = 0

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return f"fake-bow-{self._dim}-v1"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for token in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self._dim] += 1.0 if digest[4] & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
        return out
