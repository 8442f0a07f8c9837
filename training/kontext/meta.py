"""Build modules without allocating weights (for key-name checks of the 12B-parameter FLUX config)."""
import contextlib

import torch
import torch.nn as nn

_LAYER_CLASSES = (nn.Linear, nn.Conv2d, nn.Embedding, nn.LayerNorm, nn.GroupNorm)


@contextlib.contextmanager
def meta_device():
    """Inside this context nn layers are created on the meta device (shapes only, no memory).

    torch >= 2 has `with torch.device("meta")`; torch 1.13 does not, so there the layer constructors get a
    default `device="meta"` for the duration of the context.
    """
    if hasattr(torch, "get_default_device") or hasattr(torch.device, "__enter__"):
        with torch.device("meta"):
            yield
        return
    originals = {cls: cls.__init__ for cls in _LAYER_CLASSES}

    def wrap(orig):
        def init(self, *args, **kwargs):
            kwargs.setdefault("device", "meta")
            orig(self, *args, **kwargs)
        return init

    try:
        for cls, orig in originals.items():
            cls.__init__ = wrap(orig)
        yield
    finally:
        for cls, orig in originals.items():
            cls.__init__ = orig
