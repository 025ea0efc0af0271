"""TLS: a server with a certificate from a private CA is reachable with that CA, and refused without it."""
from __future__ import annotations

import os
import unittest

import grpc

import disco_geo


class TlsTests(unittest.TestCase):
    def setUp(self) -> None:
        # An https:// address of a TLS server without an API key, and the PEM of the CA that signed its certificate.
        self.address = os.environ.get("DISCO_TEST_TLS_ADDRESS")
        self.ca = os.environ.get("DISCO_TEST_TLS_CA")
        if not self.address or not self.ca:
            self.skipTest("DISCO_TEST_TLS_ADDRESS and DISCO_TEST_TLS_CA are not set")

    def test_the_private_ca_lets_the_client_in(self) -> None:
        with open(self.ca, "rb") as file:
            ca = file.read()
        with disco_geo.connect(self.address, root_certificates=ca, timeout=20) as client:
            self.assertEqual([], list(client.list_datasets()))
            with self.assertRaises(disco_geo.DiscoError) as raised:
                client.get_dataset("nothing")
            self.assertEqual(grpc.StatusCode.NOT_FOUND, raised.exception.code)

    def test_without_the_ca_the_handshake_fails(self) -> None:
        # The system's trust store does not know the test CA; the call fails rather than falling back to plaintext.
        with disco_geo.connect(self.address, timeout=20) as client:
            with self.assertRaises(disco_geo.DiscoError) as raised:
                client.get_dataset("nothing")
        self.assertEqual(grpc.StatusCode.UNAVAILABLE, raised.exception.code)


if __name__ == "__main__":
    unittest.main()
