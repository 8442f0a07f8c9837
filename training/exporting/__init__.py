"""Bundle export: ONNX files of the contract, tokenizers and manifest.json (see models/BUNDLE_FORMAT.md)."""
