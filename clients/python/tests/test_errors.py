"""Failed calls become DiscoError with the server's status code and field violations."""
from __future__ import annotations

import unittest

import grpc

import disco_geo
import server_env


class ErrorTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = server_env.connect()
        self.addCleanup(self.client.close)

    def test_a_bad_training_request_raises_with_its_field_violations_and_queues_nothing(self) -> None:
        before = self._jobs()
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.train("", [], hyper_parameters={"validation_fraction": 1.5}, device="tpu")
        error = raised.exception
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, error.code)
        fields = {v.field for v in error.field_violations}
        self.assertEqual({"model_name", "datasets", "hyper_parameters.validation_fraction", "device"}, fields)
        self.assertTrue(all(v.description for v in error.field_violations))
        self.assertIn("hyper_parameters.validation_fraction", str(error))
        self.assertEqual(before, self._jobs())

    def _jobs(self) -> list[str]:
        request = disco_geo.jobs_pb2.ListJobsRequest(page_size=1000)
        return [job.id for job in self.client.jobs.ListJobs(request, metadata=self.client.metadata).jobs]

    def test_levelling_settings_are_checked_at_the_rpc(self) -> None:
        before = self._jobs()
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.predict("any-model", "any-dataset", level_refinements=2, rotation_averaging=4, level_with="")
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, raised.exception.code)
        self.assertEqual(["level_refinements"], [v.field for v in raised.exception.field_violations])
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.predict("any-model", "any-dataset", level_with="a-leveller", rotation_averaging=4)
        self.assertEqual(["level_with"], [v.field for v in raised.exception.field_violations])
        self.assertEqual(before, self._jobs())

    def test_an_ingest_of_a_band_the_file_lacks_names_the_field(self) -> None:
        raw = self.client.upload(server_env.raster(), "errors-raw").dataset
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.ingest("errors", raw, disco_geo.grid("equiangular", 9, 16), [disco_geo.band(1), disco_geo.band(9, "label")])
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, raised.exception.code)
        self.assertEqual(["bands[1].source_band"], [v.field for v in raised.exception.field_violations])

    def test_a_missing_dataset_is_not_found(self) -> None:
        with self.assertRaises(disco_geo.DiscoError) as raised:
            self.client.get_dataset("no-such-dataset")
        self.assertEqual(grpc.StatusCode.NOT_FOUND, raised.exception.code)
        self.assertEqual([], raised.exception.field_violations)
        self.assertIn("no-such-dataset", raised.exception.message)

    def test_a_wrong_api_key_is_refused(self) -> None:
        if server_env.api_key() is None:
            self.skipTest("the server has no API key")
        with disco_geo.connect(server_env.address(), api_key="not-the-key") as stranger:
            with self.assertRaises(disco_geo.DiscoError) as raised:
                stranger.get_dataset("anything")
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, raised.exception.code)

    def test_unknown_enum_names_are_refused_before_any_call(self) -> None:
        with self.assertRaisesRegex(ValueError, "equiangular"):
            disco_geo.grid("hexagonal", 9, 16)


if __name__ == "__main__":
    unittest.main()
