"""Python client of the Disco.Geo server: upload, ingest, train, predict to numpy/xarray, export.

The protobuf and gRPC stubs are generated from the repository's protos/ by ``generate_stubs.py`` (see README.md).
"""
try:
    from ._stubs.disco.geo.v1 import common_pb2 as _probe  # noqa: F401
except ImportError as _error:  # pragma: no cover - a clear message instead of a bare ModuleNotFoundError
    raise ImportError("disco_geo's generated stubs are missing: run /usr/bin/python3 clients/python/generate_stubs.py") from _error

from ._stubs.disco.geo.v1 import common_pb2, datasets_pb2, jobs_pb2, models_pb2, predictions_pb2, training_pb2
from .arrays import PredictionResult
from .client import Client, UploadResult, band, bounds, connect, grid, is_final, raster, suggest_name
from .errors import DiscoError, FieldViolation, JobFailed

__all__ = [
    "Client", "DiscoError", "FieldViolation", "JobFailed", "PredictionResult", "UploadResult", "band", "bounds", "connect", "grid", "raster",
    "is_final", "suggest_name", "common_pb2", "datasets_pb2", "jobs_pb2", "models_pb2", "predictions_pb2", "training_pb2",
]
