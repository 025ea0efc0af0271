"""Gridded maps as numpy arrays with their coordinates, assembled from the tiles the server streams."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._stubs.disco.geo.v1 import common_pb2, predictions_pb2

# Tiles are little-endian and unpadded (common.proto, TypedArray).
_DTYPES = {
    common_pb2.DATA_TYPE_FLOAT32: np.dtype("<f4"),
    common_pb2.DATA_TYPE_FLOAT64: np.dtype("<f8"),
    common_pb2.DATA_TYPE_UINT8: np.dtype("u1"),
    common_pb2.DATA_TYPE_INT16: np.dtype("<i2"),
    common_pb2.DATA_TYPE_INT32: np.dtype("<i4"),
    common_pb2.DATA_TYPE_UINT16: np.dtype("<u2"),
}


def decode(array: common_pb2.TypedArray) -> np.ndarray:
    """A TypedArray as a numpy array of its shape (a copy, so it outlives the message)."""
    dtype = _DTYPES.get(array.dtype)
    if dtype is None:
        raise ValueError(f"unsupported tile dtype {common_pb2.DataType.Name(array.dtype)}")
    shape = tuple(int(n) for n in array.shape)
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(array.data) != expected:
        raise ValueError(f"a {dtype} array of shape {shape} needs {expected} bytes, the server sent {len(array.data)}")
    return np.frombuffer(array.data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=True)


@dataclass
class PredictionResult:
    """A finished prediction as arrays.

    ``values`` has shape ``[bands, nlat, nlon]`` (rows north to south, as on the server's grid); ``latitudes``
    (degrees north, length nlat) and ``longitudes`` (degrees east, length nlon) are the grid's node coordinates, as
    the server sent them with the tiles. ``mask`` is ``[nlat, nlon]`` booleans (True = valid) or None when every node
    is valid. ``prediction`` and ``summary`` are the server's records (class areas, statistics, held-out metrics).
    """

    values: np.ndarray
    latitudes: np.ndarray
    longitudes: np.ndarray
    band_names: list[str]
    prediction: predictions_pb2.Prediction
    summary: predictions_pb2.PredictionSummary
    mask: np.ndarray | None = None
    tiles: int = field(default=0)

    @property
    def id(self) -> str:
        """The prediction's id ("prd_...") for export or later calls."""
        return self.prediction.id

    def to_xarray(self) -> Any:
        """The map as an ``xarray.DataArray`` with dims (band, latitude, longitude) and coordinates; nodes outside the
        mask are NaN. Needs xarray (Debian: python3-xarray)."""
        try:
            import xarray as xr
        except ImportError as error:
            raise ImportError("to_xarray needs xarray: apt-get install python3-xarray") from error
        values = self.values
        if self.mask is not None:
            values = np.where(self.mask[np.newaxis], values, np.nan)
        attrs = {
            "prediction_id": self.prediction.id,
            "model_id": self.prediction.model_id,
            "grid_kind": common_pb2.GridKind.Name(self.prediction.grid.kind),
        }
        classes = {a.class_id: a.class_name for a in self.summary.class_areas}
        if classes:
            attrs["class_names"] = [classes[k] for k in sorted(classes)]
        return xr.DataArray(
            values,
            dims=("band", "latitude", "longitude"),
            coords={
                "band": list(self.band_names),
                "latitude": ("latitude", self.latitudes, {"units": "degrees_north", "standard_name": "latitude"}),
                "longitude": ("longitude", self.longitudes, {"units": "degrees_east", "standard_name": "longitude"}),
            },
            name=self.prediction.name or self.prediction.id,
            attrs=attrs,
        )


class TileAssembler:
    """Places streamed tiles into one ``[bands, nlat, nlon]`` array and collects the coordinates they carry."""

    def __init__(self, grid: common_pb2.Grid) -> None:
        self._nlat = grid.nlat
        self._nlon = grid.nlon
        self._values: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._covered = np.zeros((grid.nlat, grid.nlon), dtype=bool)
        self.latitudes = np.full(grid.nlat, np.nan)
        self.longitudes = np.full(grid.nlon, np.nan)
        self.tiles = 0

    def add(self, tile: common_pb2.Tile) -> None:
        values = decode(tile.values)
        rows = slice(tile.row_start, tile.row_start + tile.row_count)
        columns = slice(tile.col_start, tile.col_start + tile.col_count)
        if (values.ndim != 3 or values.shape[1:] != (tile.row_count, tile.col_count) or tile.row_start < 0 or tile.col_start < 0
                or rows.stop > self._nlat or columns.stop > self._nlon):
            raise ValueError(f"a tile of shape {values.shape} at row {tile.row_start}, column {tile.col_start} does not fit "
                             f"the {self._nlat} x {self._nlon} grid")
        if self._values is None:
            self._values = np.zeros((values.shape[0], self._nlat, self._nlon), dtype=values.dtype)
        elif values.shape[0] != self._values.shape[0]:
            raise ValueError(f"a tile has {values.shape[0]} bands, earlier ones {self._values.shape[0]}")
        if self._covered[rows, columns].any():
            raise ValueError(f"the tile at row {tile.row_start} overlaps an earlier one")
        self._values[:, rows, columns] = values
        self._covered[rows, columns] = True
        if tile.HasField("mask"):
            if self._mask is None:
                self._mask = np.ones((self._nlat, self._nlon), dtype=bool)
            self._mask[rows, columns] = decode(tile.mask).reshape(tile.row_count, tile.col_count) != 0
        if len(tile.latitudes_degrees) == tile.row_count:
            self.latitudes[rows] = tile.latitudes_degrees
        if len(tile.longitudes_degrees) == tile.col_count:
            self.longitudes[columns] = tile.longitudes_degrees
        self.tiles += 1

    def finish(self, prediction: predictions_pb2.Prediction, summary: predictions_pb2.PredictionSummary) -> PredictionResult:
        if self._values is None or not self._covered.all():
            missing = int((~self._covered).sum())
            raise ValueError(f"the stream ended with {missing} of {self._covered.size} grid nodes missing")
        if np.isnan(self.latitudes).any() or np.isnan(self.longitudes).any():
            raise ValueError("the tiles did not carry the coordinates of every row and column")
        names = [band.name for band in prediction.bands]
        if len(names) != self._values.shape[0]:
            names = [f"band_{i}" for i in range(self._values.shape[0])]
        return PredictionResult(self._values, self.latitudes, self.longitudes, names, prediction, summary, self._mask, self.tiles)
