"""The HTTP API and the release dashboard (``forecasting serve``): a thin layer over the same
library calls as the CLI.

- :mod:`~forecasting.api.app`: :func:`create_app`, the factory;
- :mod:`~forecasting.api.read_routes` / :mod:`~forecasting.api.write_routes`: the endpoints;
- :mod:`~forecasting.api.auth`: the bearer token on writes; :mod:`~forecasting.api.limits`:
  the body limit; :mod:`~forecasting.api.errors`: errors as HTTP statuses and one JSON shape;
- :mod:`~forecasting.api.state`: the store's version (ETags) and the cached reads;
- :mod:`~forecasting.api.dashboard`: the page at ``/`` and ``/api/dashboard``;
- :mod:`~forecasting.api.server`: binding the port and running uvicorn.
"""

from forecasting.api.app import MLFLOW_UI_ENV, create_app
from forecasting.api.auth import TOKEN_ENV

__all__ = ["MLFLOW_UI_ENV", "TOKEN_ENV", "create_app"]
