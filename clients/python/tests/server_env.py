"""Where the tests find their server and files: environment variables set by the xunit test that starts a real
disco-server (tests/Disco.Geo.Server.Tests/PythonClientTests.cs), or by hand:

  DISCO_TEST_ADDRESS   host:port of a running disco-server (required)
  DISCO_TEST_API_KEY   its API key, if it has one
  DISCO_TEST_RASTER    a global GeoTIFF: band 1 an input field, band 2 a 0/1 label (required by the workflow tests)
  DISCO_TEST_WORK      a writable directory for files the tests create (default: a temporary directory)
  DISCO_TEST_NETCDF    a NetCDF file with the variables "salinity" and "temperature" (test_sources.py)
  DISCO_TEST_TLS_ADDRESS, DISCO_TEST_TLS_CA
                       an https:// address of a TLS server without an API key, and its CA's PEM (test_tls.py)
"""
from __future__ import annotations

import os
import tempfile
import unittest

import disco_geo


def address() -> str:
    value = os.environ.get("DISCO_TEST_ADDRESS")
    if not value:
        raise unittest.SkipTest("DISCO_TEST_ADDRESS is not set: these tests need a running disco-server")
    return value


def api_key() -> str | None:
    return os.environ.get("DISCO_TEST_API_KEY") or None


def connect(**options) -> disco_geo.Client:
    return disco_geo.connect(address(), api_key=api_key(), **options)


def raster() -> str:
    value = os.environ.get("DISCO_TEST_RASTER")
    if not value:
        raise unittest.SkipTest("DISCO_TEST_RASTER is not set")
    return value


def work_directory() -> str:
    value = os.environ.get("DISCO_TEST_WORK")
    return value if value else tempfile.mkdtemp(prefix="disco-python-tests-")


def netcdf() -> str:
    """DISCO_TEST_NETCDF: a NetCDF file with the float variables "salinity" and "temperature" on a 2:1 grid."""
    value = os.environ.get("DISCO_TEST_NETCDF")
    if not value:
        raise unittest.SkipTest("DISCO_TEST_NETCDF is not set")
    return value
