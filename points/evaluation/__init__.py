"""Evaluation and recognition: rankings, star ratings, the 公示 of a period and its freezing,
service certificates, exports and the annual settlement."""
