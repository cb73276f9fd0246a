"""An int8 ONNX backend: the sentence-transformers model exported once, then run with onnxruntime.

`export_onnx` turns a sentence-transformers folder into `model.onnx` (the transformer only,
dynamically quantised to int8), `tokenizer.json` and `onnx_meta.json` (pooling, max length,
checksums). It is the only code that imports torch and transformers. `OnnxEmbedder` finds or
creates that export under `cache_dir/onnx/<key>` and runs it with onnxruntime and tokenizers alone,
pooling and normalising in numpy the way sentence-transformers does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from .embed import resolve_model_path, weights_fingerprint
from .errors import ModelError

__all__ = ["EXPORT_FORMAT", "QUANT_MODE", "OnnxEmbedder", "export_dir", "export_onnx"]

log = logging.getLogger(__name__)

# Bump when the export layout, the graph or the meta changes, so old exports are not reused.
EXPORT_FORMAT = 2
# int8 weights per output channel, uint8 activations quantised per tensor (the u8s8 VNNI path).
# Every layer's FFN output projection stays float: its input, the GELU activations, has outliers
# that per-tensor activation quantisation handles badly; those six matrices caused most of the
# error (mean cosine to the float model 0.991 with only layer 0's kept float, 0.995 with all six).
# The graph is left unfused: on this CPU, onnxruntime's QAttention path (after the transformer
# optimizer's fusions) was ~15% slower than quantised MatMuls with float attention.
QUANT_MODE = "qint8pc-ffn2f"
_KEEP_FLOAT = re.compile(r"/layer\.\d+/output/dense/MatMul$")
OPSET = 17

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "onnx_meta.json"
POOLING_MODES = ("mean", "cls", "max", "mean_sqrt_len_tokens")
# The pre-v3 Pooling config spells each mode as a boolean flag.
_POOLING_FLAGS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Sentences the export embeds with both the float and the int8 graph before trusting the latter.
_PROBES = [
    "I led the migration of our billing service to Kubernetes.",
    "Mentored two junior engineers through their first on-call rotations.",
    "Reduced p95 latency of the search API from 800 ms to 120 ms.",
    "I make thoughtful architectural decisions about security and scalability.",
    "Wrote the postmortem for the March outage and drove the follow-ups to done.",
    "Fixed a flaky test.",
    "Ran the quarterly planning for the data platform squad.",
    "Explained the trade-offs between Kafka and SQS to leadership in plain language.",
]


# -- reading the sentence-transformers folder ------------------------------------------------------


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _module_dir(model_dir: Path, kind: str, default: str) -> Path:
    """The folder of the first module of this kind (`Transformer`, `Pooling`) in modules.json."""
    modules_file = model_dir / "modules.json"
    if modules_file.is_file():
        for module in _read_json(modules_file):
            if str(module.get("type", "")).endswith(f".{kind}"):
                return model_dir / module.get("path", "")
    return model_dir / default


def read_pooling(model_dir: Path) -> str:
    """The single pooling mode of a sentence-transformers model (old or new config format)."""
    config_file = _module_dir(model_dir, "Pooling", "1_Pooling") / "config.json"
    if not config_file.is_file():
        raise ModelError(f"{model_dir} has no Pooling config; is it a sentence-transformers model?")
    config = _read_json(config_file)
    mode = config.get("pooling_mode")
    if mode is None:
        mode = [name for flag, name in _POOLING_FLAGS.items() if config.get(flag)]
    modes = [mode] if isinstance(mode, str) else list(mode)
    if len(modes) != 1 or modes[0] not in POOLING_MODES:
        raise ModelError(f"Pooling {modes} of {model_dir} is not supported by the ONNX backend.")
    return modes[0]


def read_text_settings(model_dir: Path) -> tuple[int, bool]:
    """(max_seq_length, do_lower_case) as sentence-transformers applies them."""
    transformer_dir = _module_dir(model_dir, "Transformer", "")
    for folder in (transformer_dir, model_dir):
        config_file = folder / "sentence_bert_config.json"
        if config_file.is_file():
            config = _read_json(config_file)
            if config.get("max_seq_length"):
                return int(config["max_seq_length"]), bool(config.get("do_lower_case", False))
    hf_config = _read_json(transformer_dir / "config.json")
    return int(hf_config.get("max_position_embeddings", 512)), False


# -- export (the only place torch and transformers are imported) ----------------------------------


def export_onnx(model_path: str, out_dir: Path, *, quantize: bool = True) -> Path:
    """Export a local sentence-transformers model to `out_dir` and return `out_dir`.

    The folder is built beside `out_dir`, fsynced and renamed into place, so a killed export
    leaves only a hidden temp folder that nothing trusts. An existing `out_dir` is replaced.
    """
    model_dir = Path(model_path)
    if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
        raise ModelError(f"{model_path} is not a local model folder; the ONNX export needs one.")
    read_pooling(model_dir)  # an unsupported model fails here, before torch is imported
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out_dir.name}-", dir=out_dir.parent))
    started = time.perf_counter()
    try:
        _build(model_path, tmp, quantize=quantize)
        _fsync_folder(tmp)
        _install(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("exported %s to %s in %.1f s", model_path, out_dir, time.perf_counter() - started)
    return out_dir


def _build(model_path: str, tmp: Path, *, quantize: bool) -> None:
    """Write model.onnx, tokenizer.json and onnx_meta.json into `tmp`."""
    started = time.perf_counter()
    model_dir = Path(model_path)
    transformer_dir = _module_dir(model_dir, "Transformer", "")
    info = _export_transformer(transformer_dir, tmp / "float.onnx")
    _write_tokenizer(transformer_dir, tmp / TOKENIZER_FILE)
    max_seq_length, lower = read_text_settings(model_dir)
    meta: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "quantization": QUANT_MODE if quantize else "float32",
        "source": str(model_dir),
        "weights": weights_fingerprint(model_path),
        "pooling": read_pooling(model_dir),
        "max_seq_length": min(max_seq_length, info["max_positions"]),
        "do_lower_case": lower,
        "dim": info["dim"],
        "inputs": info["inputs"],
    }
    if quantize:
        _quantize(tmp / "float.onnx", tmp / MODEL_FILE)
        meta["parity_with_float"] = _check_parity(tmp / "float.onnx", tmp / MODEL_FILE, meta)
        (tmp / "float.onnx").unlink()
    else:
        (tmp / "float.onnx").rename(tmp / MODEL_FILE)
    files = (MODEL_FILE, TOKENIZER_FILE)
    meta["sha256"] = {name: _sha256((tmp / name).read_bytes()) for name in files}
    meta["onnxruntime"] = ort.__version__
    meta["export_seconds"] = round(time.perf_counter() - started, 1)
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def _export_transformer(transformer_dir: Path, dest: Path) -> dict[str, Any]:
    """torch.onnx.export of the Hugging Face model: token inputs -> last_hidden_state."""
    import inspect

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a library does not draw on the caller's terminal
    try:
        # Eager attention traces to plain MatMul/Softmax ops, which the legacy exporter handles.
        model = AutoModel.from_pretrained(str(transformer_dir), attn_implementation="eager").eval()
    finally:
        if bar:
            hf_logging.enable_progress_bar()
    accepted = inspect.signature(model.forward).parameters
    inputs = [name for name in _INPUTS if name in accepted]
    if inputs[:2] != ["input_ids", "attention_mask"]:
        raise ModelError(f"{transformer_dir} does not take input_ids and attention_mask.")

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(inputs, args, strict=True))).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    args = tuple(
        sample if name != "token_type_ids" else torch.zeros_like(sample) for name in inputs
    )
    axes = {name: {0: "batch", 1: "sequence"} for name in [*inputs, "last_hidden_state"]}
    with torch.inference_mode(), warnings.catch_warnings():
        # The TorchScript exporter's deprecation and tracer warnings are about shapes that are
        # dynamic axes here; _verify_float_graph checks that on another shape.
        warnings.simplefilter("ignore")
        # The dynamo exporter needs onnxscript, which is not a dependency; the legacy one is enough.
        # eval() on the wrapper too: the exporter restores the wrapper's train/eval mode
        # afterwards, and a fresh Module is in training mode (dropout on) for everything inside.
        torch.onnx.export(
            LastHiddenState().eval(),
            args,
            str(dest),
            input_names=inputs,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    _verify_float_graph(model, inputs, dest)
    config = model.config
    return {
        "inputs": inputs,
        "dim": int(config.hidden_size),
        "max_positions": int(getattr(config, "max_position_embeddings", 1 << 30)),
    }


def _verify_float_graph(model: Any, inputs: list[str], graph: Path) -> None:
    """Compare the exported graph with PyTorch on a padded batch shaped unlike the trace sample.

    Tracing records Python-side shape logic as constants; a graph that only works for the
    sample's shape or ignores padding must not get as far as quantisation.
    """
    import torch

    generator = torch.Generator().manual_seed(0)
    vocab = int(getattr(model.config, "vocab_size", 1000))
    ids = torch.randint(min(999, vocab - 1), vocab, (3, 13), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 9:], mask[2, 4:] = 0, 0
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    feed = {name: feed[name] for name in inputs}
    with torch.inference_mode():
        expected = model(**feed).last_hidden_state.numpy()
    got = _session(graph).run(None, {k: v.numpy() for k, v in feed.items()})[0]
    attended = mask.numpy().astype(bool)
    error = float(np.abs(expected[attended] - got[attended]).max())
    if error > 1e-3:
        raise ModelError(f"The exported graph differs from PyTorch (max abs error {error:.2g}).")


def _quantize(src: Path, dest: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # onnx shape inference and basic graph clean-up first, as the quantiser recommends; the
    # symbolic pass cannot resolve the attention mask's shape arithmetic and is not needed.
    prepared = src.with_name("prepared.onnx")
    quant_pre_process(str(src), str(prepared), skip_symbolic_shape=True)
    names = [node.name for node in onnx.load(str(prepared)).graph.node]
    with _quiet_root_logger():
        quantize_dynamic(
            str(prepared),
            str(dest),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=False,
            nodes_to_exclude=[n for n in names if _KEEP_FLOAT.search(n)],
        )
    prepared.unlink()


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """The quantiser logs a line per tensor through `logging.info` on the root logger, which would
    also call basicConfig() in an app that has not configured logging. For the duration, drop
    root-logger records below WARNING and give the root a NullHandler so basicConfig stays off."""
    root = logging.getLogger()
    guard = logging.NullHandler() if not root.handlers else None
    quiet = _WarningsOnly()
    if guard is not None:
        root.addHandler(guard)
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)
        if guard is not None:
            root.removeHandler(guard)


def _check_parity(reference: Path, quantized: Path, meta: dict[str, Any]) -> dict[str, float]:
    """Refuse an int8 graph that strays from the float one on this CPU.

    int8 kernels differ by instruction set (u8s8 products can saturate without VNNI), and the
    export is made on the machine that uses it, so this is where to check.
    """
    tokenizer_json = (quantized.parent / TOKENIZER_FILE).read_text(encoding="utf-8")
    ref, quant = (_Runner.create(path, tokenizer_json, meta) for path in (reference, quantized))
    cosines = (ref.embed(_PROBES) * quant.embed(_PROBES)).sum(axis=1)
    parity = {
        "cos_mean": round(float(cosines.mean()), 5),
        "cos_min": round(float(cosines.min()), 5),
    }
    if parity["cos_mean"] < 0.98 or parity["cos_min"] < 0.95:
        raise ModelError(f"The int8 export strays too far from the float model here ({parity}).")
    log.info(
        "int8 export vs float: mean cosine %.4f, min %.4f", parity["cos_mean"], parity["cos_min"]
    )
    return parity


def _write_tokenizer(transformer_dir: Path, dest: Path) -> None:
    source = transformer_dir / TOKENIZER_FILE
    if source.is_file():
        shutil.copyfile(source, dest)
        return
    # Older models ship only vocab files; the fast tokenizer can serialise itself.
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(str(transformer_dir)).backend_tokenizer.save(str(dest))


# -- files: checksums, atomic install, locking ----------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_folder(folder: Path) -> None:
    for path in folder.iterdir():
        with path.open("rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _install(tmp: Path, out_dir: Path) -> None:
    """Rename the finished folder into place; an old one is moved aside first, then deleted."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".old-{out_dir.name}-{uuid.uuid4().hex[:8]}")
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    _fsync_dir(out_dir.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(out_dir: Path) -> None:
    """Temp and moved-aside folders of killed exports of this key, and exports of the same weights
    in an older format or quantisation (about 25 MB each); call under the lock."""
    same_weights = out_dir.name.rsplit(f"-v{EXPORT_FORMAT}-", 1)[0] + "-v"
    patterns = (f".tmp-{out_dir.name}-*", f".old-{out_dir.name}-*", f"{same_weights}*")
    for pattern in patterns:
        for path in out_dir.parent.glob(pattern):
            if path != out_dir and path.is_dir():
                log.info("removing an interrupted or superseded ONNX export: %s", path)
                shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _export_lock(out_dir: Path) -> Iterator[None]:
    """Serialise exports of one key across processes (the app and the CLI may start together)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename still keeps the cache consistent
        yield
        return
    with (out_dir.parent / f".{out_dir.name}.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


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


def _load_valid(
    folder: Path, weights: str, *, warn: bool, threads: int | None = None
) -> _Runner | None:
    if not folder.exists():
        return None
    try:
        return _open_export(folder, weights, threads)
    # Corruption surfaces as OSError, ValueError, KeyError or onnxruntime's and tokenizers' errors.
    except Exception as exc:
        level = logging.WARNING if warn else logging.DEBUG
        log.log(
            level,
            "ONNX export %s is unusable (%s: %s); re-exporting it",
            folder,
            type(exc).__name__,
            exc,
        )
        return None


def _find_or_export(model_path: str, folder: Path, weights: str, threads: int | None) -> _Runner:
    found = _load_valid(folder, weights, warn=True, threads=threads)
    if found is not None:
        log.debug("ONNX export loaded from %s", folder)
        return found
    with _export_lock(folder):
        # Another process may have finished the export while this one waited for the lock.
        found = _load_valid(folder, weights, warn=False, threads=threads)
        if found is None:
            _remove_leftovers(folder)
            log.info("exporting %s to int8 ONNX in %s (once, some seconds)", model_path, folder)
            try:
                export_onnx(model_path, folder)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(
                    f"Could not export {model_path} to ONNX ({type(exc).__name__}: {exc})."
                ) from exc
            found = _load_valid(folder, weights, warn=True, threads=threads)
    if found is None:
        raise ModelError(f"The ONNX export in {folder} cannot be loaded even after re-exporting.")
    return found


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
        self._runner = _find_or_export(self.path, self.folder, weights, threads)
        # Differs from TorchEmbedder's, so caches of torch vectors are never mixed with these.
        self._fingerprint = (
            f"{Path(self.path).name}-{weights}-onnx-int8-v{EXPORT_FORMAT}-{QUANT_MODE}-unbatched"
        )

    @property
    def dim(self) -> int:
        return self._runner.dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._runner.embed(texts)
