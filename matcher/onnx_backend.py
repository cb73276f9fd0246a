"""The int8 ONNX runtime: a sentence-transformers model's export, run with onnxruntime.

`OnnxEmbedder` loads the export of a model from `cache_dir/onnx/<key>` (made by
matcher.onnx_export, which model preparation calls) and runs it with onnxruntime and tokenizers
alone, pooling and normalising in numpy the way sentence-transformers does. Nothing here imports
torch, transformers or sentence-transformers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from .errors import ModelError
from .modelfiles import resolve_model_path, weights_fingerprint

__all__ = ["EXPORT_FORMAT", "QUANT_MODE", "OnnxEmbedder", "export_dir"]

log = logging.getLogger(__name__)

EXPORT_FORMAT = 2
# int8 weights per output channel, uint8 activations quantised per tensor (the u8s8 VNNI path).
# Every layer's FFN output projection stays float: its input, the GELU activations, has outliers
# that per-tensor activation quantisation handles badly; those six matrices caused most of the
# error (mean cosine to the float model 0.991 with only layer 0's kept float, 0.995 with all six).
# The graph is left unfused: on this CPU, onnxruntime's QAttention path (after the transformer
# optimizer's fusions) was ~15% slower than quantised MatMuls with float attention.
QUANT_MODE = "qint8pc-ffn2f"

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "onnx_meta.json"


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- running -------------------------------------------------------------------------------------


def _session_options(threads: int | None) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    # One request runs one graph at a time; inter-op threads would only compete for the cores.
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: ORT's C++ warnings go straight to stderr
    return options


def _session(model: bytes | Path, threads: int | None = None) -> ort.InferenceSession:
    source = model if isinstance(model, bytes) else str(model)
    options = _session_options(threads)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _tokenizer(tokenizer_json: str, max_seq_length: int) -> Tokenizer:
    tokenizer = Tokenizer.from_str(tokenizer_json)
    # Configured once, never mutated afterwards: encode_batch only reads it, so concurrent calls
    # are safe (the "Already borrowed" errors seen elsewhere come from re-configuring per call).
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_seq_length)
    return tokenizer


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """sentence-transformers' Pooling, in float32 numpy."""
    if mode == "cls":
        return hidden[:, 0]  # right padding: the first token is always attended
    weights = mask[..., None].astype(np.float32)
    if mode == "max":
        return np.where(weights > 0, hidden, -np.inf).max(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    summed = (hidden * weights).sum(axis=1)
    return summed / (counts if mode == "mean" else np.sqrt(counts))


def _normalize(vectors: np.ndarray) -> np.ndarray:
    """torch.nn.functional.normalize: divide by the L2 norm, floored at 1e-12."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@dataclass(frozen=True)
class _Runner:
    """Tokenise, run the transformer graph, pool and normalise: a whole sentence embedder.

    Each sentence runs on its own, unpadded, on one of several single-threaded sessions working in
    parallel. Dynamic int8 quantises activations with one scale per run, so a padded batch would
    make a line's vector depend on its batch mates (and the padding); alone, a line always gets
    the same vector. It is also faster here: per-sentence runs on two sessions encoded ~23% more
    sentences/s than length-sorted batches of 64 on one two-thread session (354 vs 287 on 2 cores,
    same graph; bench/README.md).
    """

    sessions: tuple[ort.InferenceSession, ...]
    tokenizer: Tokenizer
    pooling: str
    lower: bool
    dim: int
    pool: ThreadPoolExecutor | None
    pid: int  # a forked child has the pool object but none of its threads

    @classmethod
    def create(
        cls,
        model: bytes | Path,
        tokenizer_json: str,
        meta: dict[str, Any],
        threads: int | None = None,
    ) -> _Runner:
        """`threads`: sessions run in parallel (one core each), os.cpu_count() by default."""
        workers = max(1, threads or os.cpu_count() or 1)
        sessions = tuple(_session(model, threads=1) for _ in range(workers))
        return cls(
            sessions=sessions,
            tokenizer=_tokenizer(tokenizer_json, int(meta["max_seq_length"])),
            pooling=str(meta["pooling"]),
            lower=bool(meta["do_lower_case"]),
            dim=int(meta["dim"]),
            pool=ThreadPoolExecutor(workers, thread_name_prefix="onnx") if workers > 1 else None,
            pid=os.getpid(),
        )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch = [t.lower() for t in texts] if self.lower else list(texts)
        encodings = self.tokenizer.encode_batch(batch)
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        # Longest first, each session taking the next when it is free, so they finish together.
        # (A list iterator's next() is atomic under the GIL.)
        queue = iter(np.argsort([-len(e.ids) for e in encodings], kind="stable").tolist())
        pool = self.pool if os.getpid() == self.pid else None
        workers = min(len(self.sessions), len(batch)) if pool is not None else 1

        def work(k: int) -> None:
            session = self.sessions[k]
            for i in queue:
                out[i] = self._embed_one(session, encodings[i])

        if pool is None or workers == 1:
            work(0)
        else:
            # onnxruntime releases the GIL in run(), so the sessions really run side by side.
            list(pool.map(work, range(workers)))
        return np.ascontiguousarray(_normalize(out), dtype=np.float32)

    def _embed_one(self, session: ort.InferenceSession, enc: Encoding) -> np.ndarray:
        ids = np.asarray(enc.ids, dtype=np.int64)[None, :]
        arrays = {
            "input_ids": ids,
            "attention_mask": np.asarray(enc.attention_mask, dtype=np.int64)[None, :],
            "token_type_ids": np.asarray(enc.type_ids, dtype=np.int64)[None, :],
        }
        feed = {i.name: arrays[i.name] for i in session.get_inputs()}
        hidden = session.run(None, feed)[0]
        return _pool(hidden, arrays["attention_mask"], self.pooling)[0]


# -- the export cache ------------------------------------------------------------------------------


def export_dir(cache_dir: Path, model_path: str, weights: str) -> Path:
    """Where the export of these weights lives: one folder per weights, format and quantisation."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(model_path).name) or "model"
    return cache_dir / "onnx" / f"{name}-{weights}-v{EXPORT_FORMAT}-{QUANT_MODE}"


def _open_export(folder: Path, weights: str, threads: int | None) -> _Runner:
    """Load a finished export; raises on anything that does not check out."""
    meta = _read_json(folder / META_FILE)
    expected = {"format": EXPORT_FORMAT, "quantization": QUANT_MODE, "weights": weights}
    for key, value in expected.items():
        if meta.get(key) != value:
            raise ValueError(f"meta {key} is {meta.get(key)!r}, expected {value!r}")
    blobs = {name: (folder / name).read_bytes() for name in (MODEL_FILE, TOKENIZER_FILE)}
    for name, data in blobs.items():
        if _sha256(data) != meta["sha256"][name]:
            raise ValueError(f"{name} does not match its checksum")
    # From the verified bytes, so what was checked is what runs.
    return _Runner.create(blobs[MODEL_FILE], blobs[TOKENIZER_FILE].decode("utf-8"), meta, threads)


def _load_valid(folder: Path, weights: str, *, warn: bool, threads: int | None = None) -> _Runner | None:
    if not folder.exists():
        return None
    try:
        return _open_export(folder, weights, threads)
    # Corruption surfaces as OSError, ValueError, KeyError or onnxruntime's and tokenizers' errors.
    except Exception as exc:
        level = logging.WARNING if warn else logging.DEBUG
        log.log(
            level,
            "ONNX export %s is unusable (%s: %s)",
            folder,
            type(exc).__name__,
            exc,
        )
        return None


class OnnxEmbedder:
    """A sentence-transformers model exported to int8 ONNX, run with onnxruntime on the CPU.

    Thread-safe without a lock: onnxruntime sessions allow concurrent run() calls, the tokenizer
    is only read after construction, and each encode() call writes only its own output array.
    """

    backend = "onnx"

    def __init__(self, model: str, cache_dir: Path, *, threads: int | None = None) -> None:
        """`threads`: sessions encoding in parallel, one core each; os.cpu_count() by default."""
        self.name = model
        self.path = resolve_model_path(model)
        weights = weights_fingerprint(self.path)
        self.folder = export_dir(Path(cache_dir), self.path, weights)
        runner = _load_valid(self.folder, weights, warn=True, threads=threads)
        if runner is None:
            raise ModelError(
                f"No usable ONNX export of {model} in {self.folder}. Run `evidence-matcher warm` to "
                "make it, or set MATCHER_BACKEND=torch."
            )
        self._runner = runner
        # Differs from TorchEmbedder's, so caches of torch vectors are never mixed with these.
        self._fingerprint = f"{Path(self.path).name}-{weights}-onnx-int8-v{EXPORT_FORMAT}-{QUANT_MODE}-unbatched"

    @property
    def dim(self) -> int:
        return self._runner.dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._runner.embed(texts)
