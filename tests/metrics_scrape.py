"""Read one sample from `/metrics` as an operator's scraper would."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample(app, name: str, **labels) -> float:
    """The value of `name` with these labels on the app's `/metrics` page (0 when absent)."""
    app.config.update(METRICS_ALLOW="127.0.0.1", METRICS_TOKEN=None)
    text = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0
