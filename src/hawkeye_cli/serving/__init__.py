"""`hawkeye serve`: plan → expand behind an OpenAI-compatible HTTP API (FastAPI + uvicorn).

Sits above pipeline and engine, below commands: catalog (which profiles, loaded once), jobs (a request's
pipeline in a worker thread), app (routes, errors, streaming, logs), server (listening).
"""

from hawkeye_cli.serving.app import create_app
from hawkeye_cli.serving.catalog import Catalog, load_catalog

__all__ = ["Catalog", "create_app", "load_catalog"]
