"""The paper's data pipeline at small scale: sources, synthetic edits, sequences, the kl-filter and storage.

Entry points: `python -m training.data.sources` (photographs from Debian packages) and
`python -m training.data.generate` (sequences in the paper's layout); `training.data.dataset` reads them back.
"""
