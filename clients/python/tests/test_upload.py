"""Resumable uploads against a real server."""
from __future__ import annotations

import hashlib
import os
import random
import threading
import time
import unittest

import grpc

import disco_geo
import server_env

CHUNK = disco_geo.client.MIN_CHUNK_BYTES


class Interrupted(Exception):
    """Stands in for a lost connection or a Ctrl-C in the middle of an upload."""


class UploadTests(unittest.TestCase):
    def setUp(self) -> None:
        self.client = server_env.connect(chunk_bytes=CHUNK)
        self.addCleanup(self.client.close)
        self.path = os.path.join(server_env.work_directory(), f"upload-{self.id().rsplit('.', 1)[-1]}.bin")
        # Five full chunks and a short last one; seeded, so every run sends the same bytes.
        data = random.Random(20261206).randbytes(5 * CHUNK + 1234)
        with open(self.path, "wb") as file:
            file.write(data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.size = len(data)

    def test_an_interrupted_upload_resumes_from_the_bytes_the_server_committed(self) -> None:
        def stop_after_two_chunks(sent: int, total: int) -> None:
            self.assertEqual(self.size, total)
            if sent >= 2 * CHUNK:
                raise Interrupted()

        with self.assertRaises(Interrupted):
            self.client.upload(self.path, "resumed", progress=stop_after_two_chunks)

        status = self.client.upload_status("resumed", self.path)
        self.assertEqual(disco_geo.datasets_pb2.UPLOAD_STATE_IN_PROGRESS, status.state)
        self.assertEqual(2 * CHUNK, status.committed_bytes)

        seen: list[int] = []
        result = self.client.upload(self.path, "resumed", progress=lambda sent, total: seen.append(sent))
        self.assertFalse(result.already_existed)
        self.assertEqual(2 * CHUNK, result.resumed_from)
        self.assertEqual(self.size - 2 * CHUNK, result.bytes_sent)
        self.assertEqual([3 * CHUNK, 4 * CHUNK, 5 * CHUNK, self.size], seen)
        self.assertEqual(self.sha256, result.dataset.blob.sha256)
        self.assertEqual(self.size, result.dataset.blob.size_bytes)
        self.assertEqual(disco_geo.datasets_pb2.DATASET_KIND_RAW_FILE, result.dataset.kind)
        self.assertEqual(disco_geo.datasets_pb2.UPLOAD_STATE_COMPLETE, self.client.upload_status("resumed", self.path).state)

        # The two halves joined into the original file, byte for byte.
        copy = self.path + ".downloaded"
        self.assertEqual(result.dataset.id, self.client.download("resumed", copy).id)
        with open(copy, "rb") as downloaded, open(self.path, "rb") as original:
            self.assertEqual(original.read(), downloaded.read())

        # The same name and content again: nothing is sent, the existing dataset comes back.
        again = self.client.upload(self.path, "resumed")
        self.assertTrue(again.already_existed)
        self.assertEqual(0, again.bytes_sent)
        self.assertEqual(result.dataset.id, again.dataset.id)

    def test_while_another_stream_holds_the_upload_the_client_retries_then_gives_up_and_later_resumes(self) -> None:
        header = disco_geo.datasets_pb2.UploadHeader(name="held", size_bytes=self.size, sha256=self.sha256, file_name="held.bin")
        release = threading.Event()

        def another_client():
            # Another process's upload of the same file: one chunk, then it stalls until released, then ends short.
            with open(self.path, "rb") as file:
                first = file.read(CHUNK)
            yield disco_geo.datasets_pb2.UploadFileRequest(header=header)
            yield disco_geo.datasets_pb2.UploadFileRequest(chunk=disco_geo.common_pb2.FileChunk(offset=0, data=first))
            release.wait(60)

        holder = self.client.datasets.UploadFile.future(another_client(), metadata=self.client.metadata)
        self.addCleanup(release.set)
        self._until(lambda: self.client.upload_status("held", self.path).committed_bytes == CHUNK)

        with server_env.connect(chunk_bytes=CHUNK, max_attempts=2) as impatient:
            with self.assertRaises(disco_geo.DiscoError) as raised:
                impatient.upload(self.path, "held")
        self.assertEqual(grpc.StatusCode.ABORTED, raised.exception.code)

        release.set()
        with self.assertRaises(grpc.RpcError) as ended:
            holder.result(timeout=60)
        self.assertEqual(grpc.StatusCode.FAILED_PRECONDITION, ended.exception.code())
        result = self.client.upload(self.path, "held")
        self.assertEqual((CHUNK, self.size - CHUNK), (result.resumed_from, result.bytes_sent))
        self.assertEqual(self.sha256, result.dataset.blob.sha256)

    @staticmethod
    def _until(condition, timeout: float = 60.0) -> None:
        # Waits for a state the server reports (not for time to pass); the timeout only turns a hang into a failure.
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("the condition did not hold within the timeout")
            time.sleep(0.02)

    def test_a_fresh_upload_sends_everything_from_offset_zero_named_after_the_file(self) -> None:
        result = self.client.upload(self.path)
        self.assertEqual((0, self.size, False), (result.resumed_from, result.bytes_sent, result.already_existed))
        name = "upload-test_a_fresh_upload_sends_everything_from_offset_zero_named_after_the_file"
        self.assertEqual(name, result.dataset.name)
        self.assertEqual(self.sha256, self.client.get_dataset(name).blob.sha256)

    def test_suggested_names_keep_only_the_characters_dataset_names_allow(self) -> None:
        self.assertEqual("bmng-07", disco_geo.suggest_name("bmng-07.jpg"))
        self.assertEqual("my-scene--1", disco_geo.suggest_name("_my scene (1.tif"))
        self.assertEqual("dataset", disco_geo.suggest_name("...tif"))


if __name__ == "__main__":
    unittest.main()
