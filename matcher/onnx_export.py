"""ONNX export: a sentence-transformers folder to an int8 `model.onnx`, once, cached.

`export_onnx` turns a sentence-transformers folder into `model.onnx` (the transformer only,
dynamically quantised to int8), `tokenizer.json` and `onnx_meta.json` (pooling, max length,
checksums). This is the only module on the ONNX path that imports torch and transformers (inside
its functions); running the export is matcher.onnx_backend's job and needs neither.
`ensure_export` is what model preparation (matcher.prepare) calls: find a valid export under
`cache_dir/onnx/<key>`, or make one under an inter-process lock.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from . import atomic
from .errors import ModelError
from .modelfiles import weights_fingerprint
from .onnx_backend import (
    EXPORT_FORMAT,
    META_FILE,
    MODEL_FILE,
    QUANT_MODE,
    TOKENIZER_FILE,
    _load_valid,
    _read_json,
    _Runner,
    _session,
    _sha256,
    export_dir,
)

__all__ = ["ensure_export", "export_onnx", "read_pooling", "read_text_settings"]

log = logging.getLogger(__name__)

_KEEP_FLOAT = re.compile(r"/layer\.\d+/output/dense/MatMul$")
OPSET = 17

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
    tmp = atomic.temp_dir_for(out_dir)
    started = time.perf_counter()
    try:
        _build(model_path, tmp, quantize=quantize)
        atomic.install_dir(tmp, out_dir)
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
    args = tuple(sample if name != "token_type_ids" else torch.zeros_like(sample) for name in inputs)
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
    # The quantiser logs a line per tensor at INFO through the root logger; the caller's logging
    # configuration decides whether they show (the CLI shows them with -v only).
    quantize_dynamic(
        str(prepared),
        str(dest),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=False,
        nodes_to_exclude=[n for n in names if _KEEP_FLOAT.search(n)],
    )
    prepared.unlink()


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
    log.info("int8 export vs float: mean cosine %.4f, min %.4f", parity["cos_mean"], parity["cos_min"])
    return parity


def _write_tokenizer(transformer_dir: Path, dest: Path) -> None:
    source = transformer_dir / TOKENIZER_FILE
    if source.is_file():
        shutil.copyfile(source, dest)
        return
    # Older models ship only vocab files; the fast tokenizer can serialise itself.
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(str(transformer_dir)).backend_tokenizer.save(str(dest))


def _remove_leftovers(out_dir: Path) -> None:
    """Temp and moved-aside folders of killed exports of this key, and exports of the same weights
    in an older format or quantisation (about 25 MB each); call under the lock."""
    same_weights = out_dir.name.rsplit(f"-v{EXPORT_FORMAT}-", 1)[0] + "-v"
    # `.<name>.*` as matcher.atomic names them; `.tmp-`/`.old-` as older versions did.
    patterns = (f".{out_dir.name}.*", f".tmp-{out_dir.name}-*", f".old-{out_dir.name}-*", f"{same_weights}*")
    for pattern in patterns:
        for path in out_dir.parent.glob(pattern):
            if path != out_dir and path.is_dir():
                log.info("removing an interrupted or superseded ONNX export: %s", path)
                shutil.rmtree(path, ignore_errors=True)


def ensure_export(model_path: str, cache_dir: Path) -> Path:
    """The folder of a valid int8 export of `model_path` under `cache_dir`, exporting it first if
    there is none (under a lock: the app and the CLI may start together)."""
    weights = weights_fingerprint(model_path)
    folder = export_dir(Path(cache_dir), model_path, weights)
    with atomic.cache_lock(folder.parent / f".{folder.name}.lock"):
        # Another process may have finished the export while this one waited for the lock.
        if _load_valid(folder, weights, warn=False, threads=1) is not None:
            return folder
        _remove_leftovers(folder)
        log.info("exporting %s to int8 ONNX in %s (once, some seconds)", model_path, folder)
        try:
            export_onnx(model_path, folder)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"Could not export {model_path} to ONNX ({type(exc).__name__}: {exc}).") from exc
    return folder
