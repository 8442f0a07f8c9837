#!/usr/bin/env bash
# The whole test suite: TypeScript tests on node's own runner (through tsx), then the Python model-tooling tests
# with Debian's torch (/usr/bin/python3; see shared ENVIRONMENT notes). Exit status is non-zero if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test server nodes client training -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
status=0
if [ "${#files[@]}" -gt 0 ]; then
  node --import tsx --test --test-timeout=600000 "${files[@]}" || status=1
fi
if /usr/bin/python3 -c 'import torch, onnx, pytest' 2>/dev/null; then
  if [ -d training/tests ]; then /usr/bin/python3 -m pytest -q training/tests || status=1; fi
else
  echo "Python model-tooling tests need Debian's python3-torch python3-onnx python3-pytest (see README)."
  [ -n "${CI:-}" ] && status=1
fi
exit $status
