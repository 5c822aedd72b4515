"""Evaluation and reports: star ratings from yearly points (rankings and unit reports come later)."""
