"""Device, precision, EMA, checkpoint and budget helpers that behave the same under torch 1.13 (CPU here) and
torch 2.x (the GPU machine)."""
import contextlib
import copy
import json
import os
import time

import torch


def pick_device(name=None):
    """The requested device, else CUDA when present, else CPU; enables TF32 matmuls on CUDA."""
    if name:
        dev = torch.device(name)
    else:
        dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
        # cuDNN's attention kernel (PyTorch 2.5+ prefers it on Hopper) failed in the backward pass on an H100
        # (torch 2.11: "mha_graph.execute(...).is_good()" under CUDA_LAUNCH_BLOCKING, an illegal memory access
        # otherwise) at stage-1 batch 512; with it off (flash attention for the transformer, masked attention on
        # the explicit path in training/kontext/layers.py) the same steps ran cleanly.
        if hasattr(torch.backends.cuda, "enable_cudnn_sdp"):
            torch.backends.cuda.enable_cudnn_sdp(False)
    return dev


def autocast(device, enabled=True):
    """bf16 autocast on CUDA; a no-op context on CPU (CPU bf16 is slower than fp32 on these cores)."""
    if enabled and device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def set_cpu_threads(n=None):
    """Uses the given thread count (default: all cores) for CPU training."""
    n = n or os.cpu_count() or 1
    torch.set_num_threads(n)


class Ema:
    """An exponential moving average of a module's float parameters and buffers (kept in float32)."""

    def __init__(self, module, decay=0.999, only_trainable=False):
        self.decay = decay
        self.names = [n for n, p in module.named_parameters() if p.requires_grad or not only_trainable]
        params = dict(module.named_parameters())
        self.shadow = {n: params[n].detach().float().clone() for n in self.names}
        self.steps = 0

    @torch.no_grad()
    def update(self, module):
        self.steps += 1
        # Warm-up: average over the steps seen so far while they are few, so early checkpoints are usable.
        d = min(self.decay, (1.0 + self.steps) / (10.0 + self.steps))
        params = dict(module.named_parameters())
        shadow = [self.shadow[n] for n in self.names]
        current = [params[n].detach().float() for n in self.names]
        if hasattr(torch, "_foreach_mul_"):  # one fused launch per list instead of two per tensor on CUDA
            torch._foreach_mul_(shadow, d)
            torch._foreach_add_(shadow, current, alpha=1.0 - d)
        else:
            for s, c in zip(shadow, current):
                s.mul_(d).add_(c, alpha=1.0 - d)

    @torch.no_grad()
    def copy_to(self, module):
        params = dict(module.named_parameters())
        for n in self.names:
            params[n].copy_(self.shadow[n].to(params[n].dtype))

    def averaged(self, module):
        """A deep copy of module carrying the averaged weights."""
        clone = copy.deepcopy(module)
        self.copy_to(clone)
        return clone

    def state_dict(self):
        return {"decay": self.decay, "steps": self.steps, "shadow": {k: v.cpu() for k, v in self.shadow.items()}}

    def load_state_dict(self, state):
        self.decay = state["decay"]
        self.steps = state["steps"]
        for k, v in state["shadow"].items():
            if k in self.shadow:
                self.shadow[k].copy_(v.to(self.shadow[k].device))


def cpu_state(module_or_dict):
    """A state dict moved to CPU float32 (so checkpoints load anywhere)."""
    sd = module_or_dict.state_dict() if hasattr(module_or_dict, "state_dict") else module_or_dict
    return {k: (v.detach().cpu().float() if v.is_floating_point() else v.detach().cpu()) for k, v in sd.items()}


def save_checkpoint(path, payload):
    """Writes atomically (temp file then rename) so an interrupted run never leaves a broken checkpoint."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path):
    """Loads a checkpoint this project wrote (plain tensors, dicts, numbers and strings only).

    torch 2.x defaults to a weights-only unpickler; torch 1.13's cannot read floats, so it reads them fully."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch 1.13's weights-only unpickler lacks opcodes our plain dicts use
        return torch.load(path, map_location="cpu", weights_only=False)


class Budget:
    """Wall-clock budget: `done()` once the seconds are spent (None means unlimited)."""

    def __init__(self, seconds):
        self.start = time.time()
        self.seconds = seconds

    def elapsed(self):
        return time.time() - self.start

    def done(self):
        return self.seconds is not None and self.elapsed() >= self.seconds


class Logger:
    """Prints a line and appends it as JSON to a log file beside the checkpoints."""

    def __init__(self, path=None):
        self.path = path
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def __call__(self, **fields):
        line = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items())
        print(line, flush=True)
        if self.path:
            with open(self.path, "a") as f:
                f.write(json.dumps(fields) + "\n")
