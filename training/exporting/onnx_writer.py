"""Traces a module to ONNX without its weights, then writes the weights in from a name -> array source.

Why: the FLUX transformer is 12B parameters (48 GB in fp32). Tracing with stride-0 placeholder parameters and
`export_params=False` keeps the torch side tiny; the weights then stream from their source (a state dict or a
memory-mapped safetensors file) one tensor at a time into the ONNX file or its external-data file.
Initializers keep the source's parameter names (diffusers names), so the ONNX file is self-describing.

fp16: weights consumed by MatMul/Gemm/Conv/Gather are stored as float16 and those ops run in float16 (their
other inputs cast in, outputs cast back); everything else (norms, softmax, RoPE, timestep sinusoids) stays
float32, and graph inputs/outputs stay float32 as the contract requires.
"""
import inspect
import io
import os
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

EXTERNAL_THRESHOLD_BYTES = 1_800_000_000    # protobuf's hard limit is 2 GB; stay clear of it
WRAPPER_PREFIX = "m."
FP16_OPS = {"MatMul", "Gemm", "Conv", "Gather"}
OPSET = 17

WeightSource = Dict[str, Callable[[], np.ndarray]]


class ExportError(RuntimeError):
    """An export step failed; the message names the component and what did not match."""


class Wrapped(torch.nn.Module):
    """Holds the component as `m` so parameter names are `m.<diffusers name>`; `fn` adapts the signature."""

    def __init__(self, module: torch.nn.Module, fn: Callable):
        super().__init__()
        self.m = module
        self._fn = fn

    def forward(self, *args):
        return self._fn(self.m, *args)


def install_placeholders(module: torch.nn.Module) -> Dict[str, Tuple[int, ...]]:
    """Replaces every parameter by a stride-0 tensor of its shape (distinct values so the exporter does not
    de-duplicate them); returns name -> shape. Works on meta-device modules too."""
    shapes: Dict[str, Tuple[int, ...]] = {}
    index = 0
    for mod_name, mod in module.named_modules():
        for p_name, p in list(mod._parameters.items()):
            if p is None:
                continue
            index += 1
            full = f"{mod_name}.{p_name}" if mod_name else p_name
            shapes[full] = tuple(p.shape)
            value = torch.full((1,), 1e-4 * index, dtype=torch.float32)
            mod._parameters[p_name] = torch.nn.Parameter(value.expand(*p.shape) if p.dim() else value[0],
                                                         requires_grad=False)
    return shapes


def _torch_export(wrapper: torch.nn.Module, args: tuple, input_names: List[str], output_names: List[str],
                  dynamic_axes: Dict[str, Dict[int, str]]) -> onnx.ModelProto:
    buf = io.BytesIO()
    kwargs = dict(input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
                  opset_version=OPSET, export_params=False, do_constant_folding=False)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False    # torch >= 2.9 defaults to the dynamo exporter; keep the TorchScript one
    with torch.no_grad(), warnings.catch_warnings():
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
                component: str = "model", keep_fp32: Sequence[str] = ()) -> List[str]:
    """Exports `fn(module, *args)` to `out_path` with weights from `weights` (keys = module parameter names).

    `module`'s parameters are replaced by placeholders (pass a throwaway instance). Parameters whose name
    contains one of `keep_fp32` stay float32 under fp16 (T5's feed-forward output overflows float16). Returns the files written
    (the .onnx and, when external, its .data file). Raises ExportError on a missing weight or shape mismatch.
    """
    shapes = install_placeholders(module)
    missing = [n for n in shapes if n not in weights]
    if missing:
        raise ExportError(f"{component}: no weights for {len(missing)} parameters, e.g. {missing[:5]}")
    model = _torch_export(Wrapped(module, fn), args, input_names, output_names, dynamic_axes)
    graph = model.graph
    param_inputs = [i.name for i in graph.input if i.name.startswith(WRAPPER_PREFIX)]
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
    # Initializers carry the component's own parameter names (diffusers names), without the wrapper prefix.
    for node in graph.node:
        for slot, name in enumerate(node.input):
            if name in used:
                node.input[slot] = name[len(WRAPPER_PREFIX):]

    # Decide the layout before writing: external data when the weights would not fit a protobuf.
    total = sum(int(np.prod(shapes[n[len(WRAPPER_PREFIX):]], dtype=np.int64)) * (2 if n in fp16_names else 4)
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
            array = np.ascontiguousarray(array.astype(np.float16 if name in fp16_names else np.float32))
            tensor = numpy_helper.from_array(array, param)
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
