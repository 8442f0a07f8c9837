"""Run checkpoints in the exporter's format (training.kontext.models) plus a `train_state` for resuming.

<run>/vae.pt, <run>/stage1.pt, <run>/stage2.pt: {"config", "vocab", "provenance", <component>: averaged (EMA)
weights, ..., "train_state": {"raw": {...}, "optimizer", "ema", "step", "seconds"}}. The exporter reads the
averaged weights; `slim()` drops train_state for shipping (a GPU run's files must stay under 16 MiB)."""
import os

from training.kontext import build_models, config_from_dict, config_to_dict
from training.train.runtime import cpu_state, load_checkpoint, save_checkpoint

COMPONENTS = ("transformer", "projector", "vae", "clip", "t5")
STAGES = ("vae", "stage1", "stage2")


def stage_path(run_dir, stage):
    return os.path.join(run_dir, f"{stage}.pt")


def payload_of(models, averaged=None, train_state=None):
    """A checkpoint dict of models; `averaged` maps component -> module carrying EMA weights to store instead."""
    averaged = averaged or {}
    out = {"config": config_to_dict(models.config), "vocab": list(models.vocab),
           "provenance": dict(models.provenance)}
    for name in COMPONENTS:
        module = averaged.get(name)
        out[name] = cpu_state(module if module is not None else getattr(models, name))
    if train_state is not None:
        out["train_state"] = train_state
    return out


def save(run_dir, stage, payload):
    path = stage_path(run_dir, stage)
    save_checkpoint(path, payload)
    return path


def slim(payload):
    """The payload without its resume state."""
    return {k: v for k, v in payload.items() if k != "train_state"}


def models_from(payload, use_raw=False):
    """KontextModels from a payload: averaged weights by default, the raw (resume) weights with use_raw."""
    cfg = config_from_dict(payload["config"])
    models = build_models(cfg, payload["vocab"], seed=0)
    models.provenance = dict(payload.get("provenance") or {})
    raw = (payload.get("train_state") or {}).get("raw", {}) if use_raw else {}
    for name in COMPONENTS:
        state = raw.get(name) if raw.get(name) is not None else payload.get(name)
        if state is not None:
            getattr(models, name).load_state_dict(state, strict=True)
    return models


def latest(run_dir):
    """(stage, payload) of the furthest stage checkpoint present in run_dir, or (None, None)."""
    for stage in reversed(STAGES):
        path = stage_path(run_dir, stage)
        if os.path.exists(path):
            return stage, load_checkpoint(path)
    return None, None


def load_stage(run_dir, stage):
    path = stage_path(run_dir, stage)
    return load_checkpoint(path) if os.path.exists(path) else None
