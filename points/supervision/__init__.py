"""Supervision: anomaly flags that the nightly detectors raise for the supervision group."""
