"""Upload, ingest, train with a watch, predict to numpy and xarray, export: the notebook path against a real server."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import unittest

import numpy as np

import disco_geo
import server_env
from disco_geo import jobs_pb2

NLAT, NLON = 9, 16


class WorkflowTests(unittest.TestCase):
    client: disco_geo.Client
    dataset: disco_geo.datasets_pb2.Dataset
    ingest_events: list
    training_events: list
    job: jobs_pb2.Job

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = server_env.connect()
        cls.work = server_env.work_directory()
        raw = cls.client.upload(server_env.raster(), "world-raw").dataset
        cls.ingest_events = []
        cls.dataset = cls.client.ingest(
            "world", raw, disco_geo.grid("equiangular", NLAT, NLON),
            [disco_geo.band(1, "input", "f"), disco_geo.band(2, "label", "above")], on_progress=cls.ingest_events.append)

        # A tiny U-Net that trains in seconds (tests/Disco.Geo.Server.Tests/Infrastructure/TinyTraining.cs).
        started = cls.client.train(
            "tiny", ["world"], task="segmentation",
            model={"levels": 2, "base_channels": 4, "class_names": ["water", "land"]},
            hyper_parameters={"epochs": 3, "batch_size": 1, "learning_rate": 0.01, "seed": 7})
        cls.started = started
        cls.training_events = list(cls.client.watch(started.id))
        cls.job = cls.client.wait(started.id)
        cls.prediction = cls.client.predict("tiny", "world", rows_per_tile=2)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()

    def test_ingest_made_a_gridded_dataset_on_the_requested_grid(self) -> None:
        self.assertEqual(disco_geo.datasets_pb2.DATASET_KIND_GRIDDED, self.dataset.kind)
        self.assertEqual((NLAT, NLON), (self.dataset.grid.nlat, self.dataset.grid.nlon))
        self.assertEqual(["f", "above"], [b.name for b in self.dataset.bands])
        self.assertEqual([disco_geo.common_pb2.BAND_ROLE_INPUT, disco_geo.common_pb2.BAND_ROLE_LABEL],
                         [b.role for b in self.dataset.bands])
        self.assertEqual(jobs_pb2.JOB_STATE_SUCCEEDED, self.ingest_events[-1].state)

    def test_the_training_watch_streams_progress_until_the_job_succeeds(self) -> None:
        self.assertEqual(jobs_pb2.JOB_KIND_TRAINING, self.started.kind)
        events = self.training_events
        self.assertTrue(events, "the watch yielded nothing")
        self.assertTrue(all(e.id == self.started.id for e in events))
        revisions = [e.revision for e in events]
        self.assertEqual(sorted(set(revisions)), revisions, "revisions must strictly increase")
        self.assertEqual(jobs_pb2.JOB_STATE_SUCCEEDED, events[-1].state)
        self.assertTrue(all(not disco_geo.is_final(e) for e in events[:-1]))
        # Intermediate progress may be skipped by a slow watcher; the final state always comes, with the last losses.
        self.assertEqual(1.0, events[-1].progress.fraction)
        self.assertIn("loss", events[-1].progress.metrics)
        self.assertEqual(self.job.revision, events[-1].revision)
        model = self.client.get_model("tiny")
        self.assertEqual(self.job.result.model_id, model.id)
        self.assertEqual((NLAT, NLON), (model.grid.nlat, model.grid.nlon))
        self.assertEqual(["water", "land"], [c.name for c in model.classes])

    def test_predict_returns_a_numpy_map_with_the_grids_coordinates(self) -> None:
        result = self.prediction
        self.assertTrue(result.id.startswith("prd_"))
        self.assertEqual((1, NLAT, NLON), result.values.shape)
        self.assertEqual(np.float32, result.values.dtype)
        # Equiangular grid: both poles and equal steps, rows north to south; columns eastwards from -180.
        np.testing.assert_allclose(result.latitudes, 90.0 - 180.0 * np.arange(NLAT) / (NLAT - 1), atol=1e-9)
        np.testing.assert_allclose(result.longitudes, -180.0 + 360.0 * np.arange(NLON) / NLON, atol=1e-9)
        self.assertEqual((NLAT,), result.latitudes.shape)
        self.assertEqual((NLON,), result.longitudes.shape)
        self.assertEqual(5, result.tiles)  # 9 rows in tiles of 2
        self.assertTrue(set(np.unique(result.values)) <= {0.0, 1.0})
        areas = {a.class_id: a.fraction for a in result.summary.class_areas}
        self.assertAlmostEqual(1.0, sum(areas.values()), places=9)
        self.assertEqual(set(areas), {int(v) for v in np.unique(result.values)} | set(areas))
        self.assertIn("accuracy", result.summary.metrics)  # held-out score against the dataset's own labels

    def test_the_map_does_not_depend_on_how_it_was_tiled(self) -> None:
        whole = self.client.predict("tiny", "world", rows_per_tile=NLAT)
        self.assertEqual(1, whole.tiles)
        np.testing.assert_array_equal(self.prediction.values, whole.values)
        np.testing.assert_array_equal(self.prediction.latitudes, whole.latitudes)

    @unittest.skipUnless(importlib.util.find_spec("xarray"), "xarray is not installed")
    def test_to_xarray_labels_the_map_with_band_latitude_and_longitude(self) -> None:
        array = self.prediction.to_xarray()
        self.assertEqual(("band", "latitude", "longitude"), array.dims)
        self.assertEqual((1, NLAT, NLON), array.shape)
        np.testing.assert_array_equal(self.prediction.latitudes, array["latitude"].values)
        np.testing.assert_array_equal(self.prediction.longitudes, array["longitude"].values)
        self.assertEqual("degrees_north", array["latitude"].attrs["units"])
        self.assertEqual(self.prediction.id, array.attrs["prediction_id"])
        # Selecting by coordinates reaches the same node as indexing the numpy array.
        north_pole = array.isel(band=0).sel(latitude=90.0, longitude=-180.0).item()
        self.assertEqual(float(self.prediction.values[0, 0, 0]), north_pole)
        equator = array.isel(band=0).sel(latitude=0.0, longitude=0.0).item()
        self.assertEqual(float(self.prediction.values[0, NLAT // 2, NLON // 2]), equator)

    def test_export_writes_a_checked_cog_and_geojson(self) -> None:
        path = os.path.join(self.work, "tiny.tif")
        metadata = self.client.export(self.prediction, path, "cog")
        with open(path, "rb") as file:
            data = file.read()
        self.assertEqual(metadata.size_bytes, len(data))
        self.assertEqual(metadata.sha256, hashlib.sha256(data).hexdigest())
        self.assertIn(data[:4], (b"II*\x00", b"II+\x00"))  # little-endian TIFF or BigTIFF
        self.assertFalse(os.path.exists(path + ".part"))

        geojson = os.path.join(self.work, "tiny.geojson")
        self.client.export(self.prediction.id, geojson, "geojson")
        with open(geojson, encoding="utf-8") as file:
            document = json.load(file)
        self.assertEqual("FeatureCollection", document["type"])
        self.assertTrue(document["features"])


if __name__ == "__main__":
    unittest.main()
