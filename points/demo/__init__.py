"""Demo data for every domain: `flask points demo` (points.demo.command) loads a realistic community."""
