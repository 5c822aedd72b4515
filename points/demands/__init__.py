"""Residents' demands (点单) and what answers them: resources (资源清单) and projects (项目清单)."""
