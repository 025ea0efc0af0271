"""Where ingest and predict read from: one variable of a NetCDF file, and the bounds of an image without
georeferencing (API fields IngestDatasetRequest.variable/.bounds and RasterSource.bounds)."""
from __future__ import annotations

import json
import os
import struct
import unittest
import zlib

import grpc

import disco_geo
import server_env

GRID = disco_geo.grid("equiangular", 19, 36)


def write_png(path: str, height: int, width: int) -> None:
    """An 8-bit greyscale PNG without any georeferencing (written with the standard library: zlib and a CRC each chunk)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((row * 7 + column) % 256 for column in range(width)) for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    with open(path, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class SourcesTest(unittest.TestCase):
    client: disco_geo.Client
    strip: disco_geo.datasets_pb2.Dataset
    cube: disco_geo.datasets_pb2.Dataset

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = server_env.connect()
        work = server_env.work_directory()
        # Three times as wide as high: not a 2:1 whole-Earth map, so only bounds can place it.
        image = os.path.join(work, "strip.png")
        write_png(image, 10, 30)
        cls.strip = cls.client.upload(image, "strip-png").dataset
        cls.cube = cls.client.upload(server_env.netcdf(), "cube-raw").dataset

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()

    def _jobs(self) -> list[str]:
        request = disco_geo.jobs_pb2.ListJobsRequest(page_size=1000)
        return [job.id for job in self.client.jobs.ListJobs(request, metadata=self.client.metadata).jobs]

    def test_an_image_without_georeferencing_is_placed_at_its_bounds(self) -> None:
        dataset = self.client.ingest("strip", self.strip, GRID, bounds=(0, 0, 90, 30))
        self.assertEqual((19, 36), (dataset.grid.nlat, dataset.grid.nlon))
        main = json.loads(dataset.provenance_json)["sources"][0]
        self.assertEqual("0,0,90,30", main["bounds"])
        self.assertEqual([0, 3, 0, 30, 0, -3], main["geotransform"])

    def test_without_bounds_the_strip_is_refused_as_not_a_whole_earth_map(self) -> None:
        with self.assertRaises((disco_geo.DiscoError, disco_geo.JobFailed)) as raised:
            self.client.ingest("strip-unplaced", self.strip, GRID)
        self.assertIn("bounds", str(raised.exception))

    def test_bounds_given_as_a_message_work_like_a_tuple(self) -> None:
        dataset = self.client.ingest("strip-message", self.strip, GRID, bounds=disco_geo.bounds(170, -30, 260, 0))
        self.assertEqual("170,-30,260,0", json.loads(dataset.provenance_json)["sources"][0]["bounds"])

    def test_bad_bounds_are_refused_at_the_call_with_the_field_and_queue_nothing(self) -> None:
        before = self._jobs()
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.ingest("strip-bad", self.strip, GRID, bounds=(0, 40, 90, 10))
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, raised.exception.code)
        self.assertEqual(["bounds.north"], [v.field for v in raised.exception.field_violations])
        self.assertEqual(before, self._jobs())

    def test_predict_sends_a_raster_with_its_bounds_and_the_server_checks_them(self) -> None:
        source = disco_geo.raster(self.strip, bounds=(0, 40, 90, 10))
        self.assertEqual(self.strip.id, source.dataset_id)
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.predict("any-model", source)
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, raised.exception.code)
        self.assertIn("raster.bounds.north", [v.field for v in raised.exception.field_violations])

    def test_one_variable_of_a_netcdf_file_is_ingested(self) -> None:
        dataset = self.client.ingest("cube-temperature", self.cube, GRID, variable="temperature")
        self.assertEqual((19, 36), (dataset.grid.nlat, dataset.grid.nlon))
        self.assertEqual("temperature", json.loads(dataset.provenance_json)["sources"][0]["variable"])
        self.assertEqual(["temperature"], [b.name for b in dataset.bands])

    def test_an_unknown_variable_is_refused_naming_the_files_variables(self) -> None:
        with self.assertRaises((disco_geo.DiscoError, disco_geo.JobFailed)) as raised:
            self.client.ingest("cube-unknown", self.cube, GRID, variable="pressure")
        text = str(raised.exception)
        self.assertIn("salinity", text)
        self.assertIn("temperature", text)


if __name__ == "__main__":
    unittest.main()
