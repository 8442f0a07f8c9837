"""Evaluation of kontext-tiny against the quality bars of issue 4."""
