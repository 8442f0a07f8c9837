"""Traces a module to ONNX without its weights, then writes the weights in from a name -> array source.

Why: the FLUX transformer is 12B parameters (48 GB in fp32). Tracing with stride-0 placeholder parameters and
`export_params=False` keeps the torch side tiny; the weights then stream from their source (a state dict or a
memory-mapped safetensors file) one tensor at a time into the ONNX file or its external-data file.
Initializers keep the source's parameter names (diffusers names), so the ONNX file is self-describing.

fp16: weights consumed by MatMul/Gemm/Conv/Gather are stored as float16 and those ops run in float16 (their
other inputs cast in, outputs cast back); everything else (norms, softmax, RoPE, timestep sinusoids) stays
float32, and graph inputs/outputs stay float32 as the contract requires.

store_fp16: every other float weight is stored as float16 and cast back to float32 by a Cast node the runtime
folds when the session loads, so the file is half the size and the computation stays float32. Exact for weights
that are float16 values already (a GPU run's fp16 checkpoint); otherwise each weight is rounded to float16.
"""
import contextlib
import inspect
import io
import os
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

EXTERNAL_THRESHOLD_BYTES = 1_800_000_000    # protobuf's hard limit is 2 GB; stay clear of it
WRAPPER_PREFIX = "m."
FP16_OPS = {"MatMul", "Gemm", "Conv", "Gather"}
STORED_FP16_SUFFIX = "__f16"
OPSET = 17

WeightSource = Dict[str, Callable[[], np.ndarray]]


class ExportError(RuntimeError):
    """An export step failed; the message names the component and what did not match."""


class WeightsAsInputs(torch.nn.Module):
    """Runs `fn(module, *inputs)` with the module's parameters taken from extra graph inputs.

    Why: parameters left as module state are handed to ONNX shape inference as data, which materialises every
    stride-0 placeholder at full size (tens of GB for FLUX); as graph inputs only their shapes matter.
    """

    def __init__(self, module: torch.nn.Module, fn: Callable, names: List[str], n_inputs: int):
        super().__init__()
        self.m = module
        self._fn = fn
        self._n_inputs = n_inputs
        self._slots = []
        for name in names:
            owner, _, attr = name.rpartition(".")
            self._slots.append((module.get_submodule(owner) if owner else module, attr))

    def forward(self, *args):
        inputs, weights = args[:self._n_inputs], args[self._n_inputs:]
        for (owner, attr), value in zip(self._slots, weights):
            owner._parameters[attr] = value
        try:
            return self._fn(self.m, *inputs)
        finally:
            for owner, attr in self._slots:
                owner._parameters[attr] = None


def strip_parameters(module: torch.nn.Module) -> Dict[str, Tuple[int, ...]]:
    """Removes every parameter (meta or real) from `module`; returns name -> shape in a stable order."""
    shapes: Dict[str, Tuple[int, ...]] = {}
    for mod_name, mod in module.named_modules():
        for p_name, p in list(mod._parameters.items()):
            if p is None:
                continue
            shapes[f"{mod_name}.{p_name}" if mod_name else p_name] = tuple(p.shape)
            mod._parameters[p_name] = None
    return shapes


def placeholder(shape: Tuple[int, ...], index: int) -> torch.Tensor:
    """A tensor of `shape` backed by one float (stride 0); distinct values keep the exporter from merging."""
    value = torch.full((1,), 1e-4 * (index + 1), dtype=torch.float32)
    return value.expand(*shape) if shape else value[0]


class _LinearNoBias(torch.autograd.Function):
    """F.linear for tracing: emits MatMul(x, W^T) into the graph without computing it (see traced_linear)."""

    @staticmethod
    def forward(ctx, x, weight):
        return x.new_zeros(tuple(x.shape[:-1]) + (weight.shape[0],))

    @staticmethod
    def symbolic(g, x, weight):
        return g.op("MatMul", x, g.op("Transpose", weight, perm_i=[1, 0]))


class _LinearBias(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        return x.new_zeros(tuple(x.shape[:-1]) + (weight.shape[0],))

    @staticmethod
    def symbolic(g, x, weight, bias):
        return g.op("Add", g.op("MatMul", x, g.op("Transpose", weight, perm_i=[1, 0])), bias)


@contextlib.contextmanager
def traced_linear():
    """While tracing, F.linear records MatMul(+Add) without running the product, and placeholders are not cloned.

    Why: with stride-0 placeholder weights every real product needs a contiguous copy of the weight, and the
    tracer keeps those alive: 12B parameters would need 48 GB. Values flowing through the trace are then
    zeros, which is harmless because no control flow depends on them; parity tests run the real graph.
    """
    original = F.linear

    def linear(x, weight, bias=None):
        if bias is None:
            return _LinearNoBias.apply(x, weight)
        return _LinearBias.apply(x, weight, bias)

    original_clone = torch.Tensor.clone

    def clone(self, *args, **kwargs):
        # The tracer clones every graph input to keep a copy of the inputs; for a stride-0 placeholder that
        # copy would be the full-size weight. Placeholders are never written to, so sharing them is safe.
        if self.dim() > 0 and self.numel() > 1 and 0 in self.stride():
            return self
        return original_clone(self, *args, **kwargs)

    F.linear = linear
    torch.Tensor.clone = clone
    try:
        yield
    finally:
        F.linear = original
        torch.Tensor.clone = original_clone


def _torch_export(wrapper: torch.nn.Module, args: tuple, input_names: List[str], output_names: List[str],
                  dynamic_axes: Dict[str, Dict[int, str]]) -> onnx.ModelProto:
    buf = io.BytesIO()
    kwargs = dict(input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
                  opset_version=OPSET, export_params=False, do_constant_folding=False)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False    # torch >= 2.9 defaults to the dynamo exporter; keep the TorchScript one
    with torch.no_grad(), warnings.catch_warnings(), traced_linear():
        # Shape-inference and tracer notes about Python-int shapes; dynamic axes are checked by the tests.
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapper, args, buf, **kwargs)
    return onnx.load_from_string(buf.getvalue())


def _consumers(graph: onnx.GraphProto) -> Dict[str, List[Tuple[onnx.NodeProto, int]]]:
    out: Dict[str, List[Tuple[onnx.NodeProto, int]]] = {}
    for node in graph.node:
        for slot, name in enumerate(node.input):
            out.setdefault(name, []).append((node, slot))
    return out


def _fp16_eligible(name: str, consumers, graph_outputs) -> bool:
    """True when every use of `name` is a weight slot of an fp16-capable op (or a Transpose feeding only those)."""
    uses = consumers.get(name, [])
    if not uses or name in graph_outputs:
        return False
    for node, slot in uses:
        if node.op_type == "Transpose":
            if not _fp16_eligible(node.output[0], consumers, graph_outputs):
                return False
        elif node.op_type == "Gather":
            if slot != 0:
                return False
        elif node.op_type not in FP16_OPS:
            return False
    return True


def _apply_fp16(graph: onnx.GraphProto, fp16_names: set) -> None:
    """Runs the ops that consume fp16 weights in fp16: casts their other float inputs in and outputs back."""
    consumers = _consumers(graph)
    fp16_tensors = set(fp16_names)
    new_nodes: List[onnx.NodeProto] = []
    counter = 0
    for node in graph.node:
        if node.op_type == "Transpose" and node.input[0] in fp16_tensors:
            fp16_tensors.add(node.output[0])
            new_nodes.append(node)
            continue
        if node.op_type in FP16_OPS and any(i in fp16_tensors for i in node.input):
            float_slots = [0] if node.op_type == "Gather" else list(range(len(node.input)))
            for slot in float_slots:
                name = node.input[slot]
                if not name or name in fp16_tensors:
                    continue
                counter += 1
                cast_out = f"{name}__fp16_{counter}"
                new_nodes.append(helper.make_node("Cast", [name], [cast_out], to=TensorProto.FLOAT16,
                                                  name=f"cast_in_fp16_{counter}"))
                node.input[slot] = cast_out
            original = node.output[0]
            node.output[0] = f"{original}__fp16"
            new_nodes.append(node)
            new_nodes.append(helper.make_node("Cast", [node.output[0]], [original], to=TensorProto.FLOAT,
                                              name=f"cast_out_fp32_{counter}_{len(new_nodes)}"))
            continue
        new_nodes.append(node)
    del graph.node[:]
    graph.node.extend(new_nodes)
    del consumers


def _resolve_aliases(graph: onnx.GraphProto, param_names: set) -> Dict[str, str]:
    """Removes `Identity(param) -> other_param` nodes (torch's de-duplication); returns alias -> source name."""
    aliases: Dict[str, str] = {}
    keep = []
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in param_names:
            aliases[node.output[0]] = node.input[0]
        else:
            keep.append(node)
    if aliases:
        del graph.node[:]
        graph.node.extend(keep)
    return aliases


def export_onnx(module: torch.nn.Module, fn: Callable, args: tuple, input_names: List[str],
                output_names: List[str], dynamic_axes: Dict[str, Dict[int, str]], weights: WeightSource,
                out_path: str, fp16: bool = False, external: Optional[bool] = None,
                component: str = "model", keep_fp32: Sequence[str] = (), store_fp16: bool = False) -> List[str]:
    """Exports `fn(module, *args)` to `out_path` with weights from `weights` (keys = module parameter names).

    `module`'s parameters are replaced by placeholders (pass a throwaway instance). Parameters whose name
    contains one of `keep_fp32` stay float32 under fp16 (T5's feed-forward output overflows float16). Returns the files written
    (the .onnx and, when external, its .data file). Raises ExportError on a missing weight or shape mismatch.
    """
    shapes = strip_parameters(module)
    missing = [n for n in shapes if n not in weights]
    if missing:
        raise ExportError(f"{component}: no weights for {len(missing)} parameters, e.g. {missing[:5]}")
    names = list(shapes)
    wrapper = WeightsAsInputs(module, fn, names, len(args))
    all_args = tuple(args) + tuple(placeholder(shapes[n], i) for i, n in enumerate(names))
    model = _torch_export(wrapper, all_args, list(input_names) + [WRAPPER_PREFIX + n for n in names],
                          output_names, dynamic_axes)
    graph = model.graph
    consumed = {name for node in graph.node for name in node.input}
    param_inputs = [i.name for i in graph.input if i.name.startswith(WRAPPER_PREFIX) and i.name in consumed]
    aliases = _resolve_aliases(graph, set(param_inputs))
    used = set(param_inputs) | set(aliases)
    keep_inputs = [i for i in graph.input if not i.name.startswith(WRAPPER_PREFIX)]
    del graph.input[:]
    graph.input.extend(keep_inputs)
    del graph.value_info[:]   # intermediate types change under fp16; ORT re-infers them

    consumers = _consumers(graph)
    outputs = {o.name for o in graph.output}
    fp16_names = {n for n in used if fp16 and _fp16_eligible(n, consumers, outputs)
                  and not any(k in n for k in keep_fp32)}
    if fp16_names:
        _apply_fp16(graph, fp16_names)
    # Weights computed in float32 but stored as float16: a Cast at the top of the graph gives each its old name.
    stored_fp16 = sorted(n for n in used if store_fp16 and n not in fp16_names)
    casts = [helper.make_node("Cast", [n[len(WRAPPER_PREFIX):] + STORED_FP16_SUFFIX], [n[len(WRAPPER_PREFIX):]],
                              to=TensorProto.FLOAT, name=f"load_fp16_{i}") for i, n in enumerate(stored_fp16)]
    for node in reversed(casts):
        graph.node.insert(0, node)
    # Initializers carry the component's own parameter names (diffusers names), without the wrapper prefix.
    for node in graph.node:
        for slot, name in enumerate(node.input):
            if name in used:
                node.input[slot] = name[len(WRAPPER_PREFIX):]

    # Decide the layout before writing: external data when the weights would not fit a protobuf.
    half = fp16_names | set(stored_fp16)
    total = sum(int(np.prod(shapes[n[len(WRAPPER_PREFIX):]], dtype=np.int64)) * (2 if n in half else 4)
                for n in used)
    use_external = (total > EXTERNAL_THRESHOLD_BYTES) if external is None else external
    data_name = os.path.basename(out_path) + ".data"
    data_path = os.path.join(os.path.dirname(os.path.abspath(out_path)), data_name)
    files = [out_path]
    data_file = open(data_path, "wb") if use_external else None
    try:
        for name in sorted(used):
            param = name[len(WRAPPER_PREFIX):]
            array = np.asarray(weights[param]())
            if tuple(array.shape) != shapes[param]:
                raise ExportError(f"{component}: weight {param!r} has shape {tuple(array.shape)}, "
                                  f"the model expects {shapes[param]}")
            array = np.ascontiguousarray(array.astype(np.float16 if name in half else np.float32))
            stored_name = param + STORED_FP16_SUFFIX if name in stored_fp16 else param
            tensor = numpy_helper.from_array(array, stored_name)
            if data_file is not None:
                offset = data_file.tell()
                pad = (-offset) % 64
                if pad:
                    data_file.write(b"\0" * pad)
                    offset += pad
                data_file.write(tensor.raw_data)
                tensor.ClearField("raw_data")
                tensor.data_location = TensorProto.EXTERNAL
                for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(array.nbytes))):
                    entry = tensor.external_data.add()
                    entry.key, entry.value = key, value
            graph.initializer.append(tensor)
            del array
    finally:
        if data_file is not None:
            data_file.close()
    if use_external:
        files.append(data_path)
    elif os.path.exists(data_path):
        os.remove(data_path)
    model.producer_name = "kontinuous-studio training.export"
    with open(out_path, "wb") as f:
        f.write(model.SerializeToString())
    onnx.checker.check_model(out_path)
    return files
