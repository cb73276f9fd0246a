"""The evidence index: statements, ladder examples, exemplars and noise lines embedded in FAISS.

Indexes persist under the cache dir, keyed by a hash of the entries, the model fingerprint, the
backend and INDEX_FORMAT. Writes are atomic (temp dir, fsync, rename); a cache that fails any check
is rebuilt with a warning, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from . import atomic
from .embed import Embedder
from .exemplars import ExemplarSet
from .models import Ladder

__all__ = ["INDEX_FORMAT", "KINDS", "Entry", "EvidenceIndex", "build_entries", "entries_key"]

log = logging.getLogger(__name__)

# Bump when the entry layout or the file format changes, so old caches are not reused.
# 2: meta.json holds the SHA-256 of index.faiss, so a damaged but parseable file is not trusted.
INDEX_FORMAT = 2

# "confirmed" and "negative" are a user's corrections (matcher.learn): a (text, statement) pair
# confirmed or assigned, and one rejected. They live only in an in-memory index.
KINDS = ("statement", "example", "exemplar", "noise", "confirmed", "negative")
# A hidden temp folder this old is debris of a killed write (a live one exists for seconds).
STALE_WRITE_SECONDS = 3600


@dataclass(frozen=True)
class Entry:
    """One embedded text: a statement, a ladder example, an exemplar, a noise line, or a user's
    confirmed or rejected (text, statement) pair. `weight` is its sample weight in the head and the
    check (a user's pairs may count more than one exemplar)."""

    kind: str
    text: str
    statement_id: str = ""
    pillar: str = ""
    weight: float = 1.0

    def fields(self) -> list:
        """What identifies the entry in a cache key and in meta.json (the weight only when it is
        not 1, so the keys of indexes without corrections did not change when it was added)."""
        out: list = [self.kind, self.text, self.statement_id, self.pillar]
        return [*out, self.weight] if self.weight != 1.0 else out


def build_entries(ladder: Ladder, exemplars: ExemplarSet) -> list[Entry]:
    entries: list[Entry] = []
    for p in ladder.pillars:
        entries += [Entry("statement", s.display, s.id, p.name) for s in p.statements]
        entries += [Entry("example", e.display, "", p.name) for e in p.examples]
    for s in ladder.statements:
        entries += [Entry("exemplar", x, s.id, s.pillar) for x in exemplars.by_statement.get(s.id, ())]
    entries += [Entry("noise", x) for x in exemplars.noise]
    return entries


def entries_key(entries: list[Entry], embedder: Embedder) -> str:
    """The key of an index of these entries embedded by this embedder (it also keys the head and
    check caches fitted on it)."""
    h = hashlib.sha256()
    h.update(f"format={INDEX_FORMAT}\nmodel={embedder.fingerprint}\nbackend={embedder.backend}\n".encode())
    for e in entries:
        h.update(json.dumps(e.fields()).encode())
        h.update(b"\n")
    return h.hexdigest()[:24]


def _crash_point(name: str) -> None:
    """Test-only hook: MATCHER_TEST_CRASH_AT=<name> kills the process here, mid-write.

    Points, in order: after-faiss-write, before-rename, after-old-moved (only when a bad cache is
    being replaced), after-rename.
    """
    if os.environ.get("MATCHER_TEST_CRASH_AT") == name:
        os._exit(86)


def _remove_stale_writes(index_dir: Path) -> None:
    """Delete the temp and moved-aside folders (`.<key>.*`) that killed writes left behind."""
    try:
        hidden = [p for p in index_dir.iterdir() if p.name.startswith(".") and p.is_dir()]
    except OSError:  # no index folder yet, or unreadable: nothing to tidy
        return
    cutoff = time.time() - STALE_WRITE_SECONDS
    for path in hidden:
        try:
            stale = path.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            log.info("removing %s, left by an interrupted index write", path)
            shutil.rmtree(path, ignore_errors=True)


class EvidenceIndex:
    """A FAISS inner-product index over a ladder's entries, with the entries alongside."""

    def __init__(self, entries: list[Entry], vectors: np.ndarray, key: str = "") -> None:
        self.entries = entries
        self.key = key
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(entries):
            self.index.add(self.vectors)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def search(self, queries: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """FAISS search: (similarities, entry indices), best first; k defaults to every entry."""
        k = min(k or len(self.entries), len(self.entries))
        if k == 0 or len(queries) == 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        return self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)

    def similarities(self, queries: np.ndarray) -> np.ndarray:
        """Dense (queries x entries) cosine matrix, in entry order, via a full FAISS search."""
        sims, idx = self.search(queries)
        out = np.empty_like(sims)
        np.put_along_axis(out, idx, sims, axis=1)
        return out

    # -- persistence ---------------------------------------------------------------------------

    @classmethod
    def build(cls, entries: list[Entry], embedder: Embedder, cache_dir: Path | None = None) -> EvidenceIndex:
        """Load the index for these entries from the cache, or embed them and cache the result."""
        key = entries_key(entries, embedder)
        folder = cache_dir / "index" / key if cache_dir else None
        if folder is not None:
            _remove_stale_writes(folder.parent)
            cached = cls._load(folder, key, entries, embedder.dim)
            if cached is not None:
                return cached
        log.info("embedding %d index entries with %s", len(entries), embedder.fingerprint)
        vectors = embedder.encode([e.text for e in entries]) if entries else np.zeros((0, embedder.dim), np.float32)
        built = cls(entries, vectors, key)
        if folder is not None:
            built._save(folder)
        return built

    @classmethod
    def _load(
        cls, folder: Path, key: str, entries: list[Entry], dim: int, *, quiet: bool = False
    ) -> EvidenceIndex | None:
        meta_path, faiss_path = folder / "meta.json", folder / "index.faiss"
        if not folder.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            data = faiss_path.read_bytes()
            if meta.get("sha256") != hashlib.sha256(data).hexdigest():
                raise ValueError("index.faiss does not match the checksum in meta.json")
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
            ok = (
                meta.get("format") == INDEX_FORMAT
                and meta.get("key") == key
                and meta.get("entries") == [e.fields() for e in entries]
                and index.ntotal == len(entries)
                and index.d == dim
            )
            vectors = index.reconstruct_n(0, index.ntotal) if ok and index.ntotal else np.zeros((0, dim), np.float32)
            if ok and len(vectors) and not np.all(np.isfinite(vectors)):
                ok = False
        except Exception as exc:  # any corruption: faiss raises RuntimeError, json ValueError, ...
            if not quiet:
                log.warning("index cache %s is unreadable (%s: %s); rebuilding it", folder, type(exc).__name__, exc)
            return None
        if not ok:
            if not quiet:
                log.warning("index cache %s does not match this corpus or model; rebuilding it", folder)
            return None
        log.debug("index loaded from cache %s", folder)
        return cls(entries, vectors, key)

    def _save(self, folder: Path) -> None:
        """Write atomically: a complete temp folder is renamed into place, or nothing changes."""
        try:
            tmp = atomic.temp_dir_for(folder)
        except OSError as exc:
            log.warning("cannot write the index cache under %s (%s); continuing without it", folder.parent, exc)
            return
        try:
            faiss.write_index(self.index, str(tmp / "index.faiss"))
            _crash_point("after-faiss-write")
            meta = {
                "format": INDEX_FORMAT,
                "key": self.key,
                "sha256": hashlib.sha256((tmp / "index.faiss").read_bytes()).hexdigest(),
                "entries": [e.fields() for e in self.entries],
            }
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            if folder.exists() and self._load(folder, self.key, self.entries, self.dim, quiet=True) is not None:
                shutil.rmtree(tmp, ignore_errors=True)  # another process wrote it meanwhile: keep it
                return
            # A bad cache there is moved aside in one rename, so the folder holds the old cache,
            # nothing, or the new one, never a mix.
            atomic.install_dir(tmp, folder, checkpoint=_crash_point)
        except OSError as exc:
            log.warning("cannot write the index cache %s (%s); continuing without it", folder, exc)
            shutil.rmtree(tmp, ignore_errors=True)
