"""A dependency-free safetensors reader and writer (json + numpy), bf16 included.

Format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]},
"__metadata__": {...}}, then the raw little-endian tensor bytes (offsets relative to the end of the header).
Tensors are memory-mapped and converted one at a time, so a 24 GB checkpoint never sits in memory at once.
"""
import json
import os
import struct
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

_NUMPY = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_CODES = {np.dtype(v).str: k for k, v in _NUMPY.items()}
MAX_HEADER = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    """A file is not valid safetensors or lacks a tensor; the message names the file."""


def bf16_to_float32(raw: np.ndarray) -> np.ndarray:
    """bfloat16 bits (uint16) -> float32 (the upper half of a float32)."""
    return (raw.astype(np.uint32) << 16).view(np.float32)


def float32_to_bf16(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits (uint16), rounding to nearest even."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = bits + 0x7FFF + ((bits >> 16) & 1)
    return (rounded >> 16).astype(np.uint16)


class SafetensorsFile:
    """One .safetensors file: `keys()`, `shape(name)`, `get(name) -> float32/int ndarray` (bf16 -> float32)."""

    def __init__(self, path: str):
        self.path = path
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) != 8:
                raise SafetensorsError(f"{path}: too short to be safetensors")
            (size,) = struct.unpack("<Q", head)
            if size > MAX_HEADER:
                raise SafetensorsError(f"{path}: header of {size} bytes is not plausible")
            try:
                header = json.loads(f.read(size))
            except ValueError as e:
                raise SafetensorsError(f"{path}: header is not JSON ({e})") from e
        self.metadata = header.pop("__metadata__", {}) or {}
        self.entries = header
        self._data_start = 8 + size
        self._map = None

    def keys(self) -> List[str]:
        return list(self.entries)

    def shape(self, name: str) -> Tuple[int, ...]:
        return tuple(self.entries[name]["shape"])

    def dtype(self, name: str) -> str:
        return self.entries[name]["dtype"]

    def _mapped(self) -> np.memmap:
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        return self._map

    def get(self, name: str) -> np.ndarray:
        if name not in self.entries:
            raise SafetensorsError(f"{self.path}: no tensor {name!r}")
        info = self.entries[name]
        begin, end = info["data_offsets"]
        raw = self._mapped()[self._data_start + begin:self._data_start + end]
        code = info["dtype"]
        if code == "BF16":
            return bf16_to_float32(raw.view("<u2")).reshape(info["shape"])
        if code not in _NUMPY:
            raise SafetensorsError(f"{self.path}: tensor {name!r} has unsupported dtype {code}")
        return np.array(raw.view(np.dtype(_NUMPY[code]).newbyteorder("<"))).reshape(info["shape"])


class SafetensorsCheckpoint:
    """A single file or a sharded set (`*.safetensors.index.json` with a weight_map) behind one lookup."""

    def __init__(self, files: Iterable[str]):
        self.files = [SafetensorsFile(p) for p in files]
        self._where: Dict[str, SafetensorsFile] = {}
        for f in self.files:
            for k in f.keys():
                self._where[k] = f
        if not self.files:
            raise SafetensorsError("no safetensors files given")

    @classmethod
    def from_folder(cls, folder: str) -> "SafetensorsCheckpoint":
        """Loads every shard a folder's index names, else every .safetensors file in it.

        Raises SafetensorsError naming the folder when it holds none.
        """
        if not os.path.isdir(folder):
            raise SafetensorsError(f"{folder}: not a folder")
        names = sorted(os.listdir(folder))
        index = [n for n in names if n.endswith(".safetensors.index.json")]
        if index:
            with open(os.path.join(folder, index[0]), encoding="utf-8") as f:
                shards = sorted(set(json.load(f)["weight_map"].values()))
        else:
            shards = [n for n in names if n.endswith(".safetensors")]
        if not shards:
            raise SafetensorsError(f"{folder}: no .safetensors files")
        return cls(os.path.join(folder, s) for s in shards)

    def keys(self) -> List[str]:
        return list(self._where)

    def __contains__(self, name: str) -> bool:
        return name in self._where

    def shape(self, name: str) -> Tuple[int, ...]:
        return self._where[name].shape(name)

    def get(self, name: str) -> np.ndarray:
        if name not in self._where:
            raise SafetensorsError(f"no tensor {name!r} in {[f.path for f in self.files]}")
        return self._where[name].get(name)


def write_safetensors(path: str, tensors: Dict[str, np.ndarray], bf16: bool = False,
                      metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes arrays as safetensors (float arrays as BF16 when `bf16`), in sorted key order."""
    header: Dict[str, object] = {}
    blobs: List[bytes] = []
    offset = 0
    for name in sorted(tensors):
        arr = np.asarray(tensors[name])
        if bf16 and arr.dtype.kind == "f":
            code, data = "BF16", float32_to_bf16(arr).astype("<u2").tobytes()
        else:
            arr = np.ascontiguousarray(arr)
            code = _CODES.get(arr.dtype.newbyteorder("<").str) or _CODES.get(arr.dtype.str)
            if code is None:
                raise SafetensorsError(f"{path}: cannot store dtype {arr.dtype} of {name!r}")
            data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((-len(encoded)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def iter_items(ckpt: SafetensorsCheckpoint) -> Iterator[Tuple[str, np.ndarray]]:
    for k in ckpt.keys():
        yield k, ckpt.get(k)
