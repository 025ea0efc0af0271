"""The Disco.Geo client: a thin, typed layer over the generated gRPC stubs."""
from __future__ import annotations

import hashlib
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from ._stubs.disco.geo.v1 import (common_pb2, datasets_pb2, datasets_pb2_grpc, jobs_pb2, jobs_pb2_grpc, models_pb2,
                                  models_pb2_grpc, predictions_pb2, predictions_pb2_grpc, training_pb2,
                                  training_pb2_grpc)
from .arrays import PredictionResult, TileAssembler
from .errors import DiscoError, JobFailed

T = TypeVar("T")

#: Chunk sizes the server accepts for uploads (datasets.proto): 64 KiB to 1 MiB.
MIN_CHUNK_BYTES = 64 * 1024
MAX_CHUNK_BYTES = 1024 * 1024

_FINAL_STATES = frozenset({jobs_pb2.JOB_STATE_SUCCEEDED, jobs_pb2.JOB_STATE_FAILED, jobs_pb2.JOB_STATE_CANCELLED,
                           jobs_pb2.JOB_STATE_INTERRUPTED})
# Upload failures after which the committed bytes are still there to resume from.
_RESUMABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED, grpc.StatusCode.DEADLINE_EXCEEDED})


def grid(kind: str, nlat: int, nlon: int, lon_origin_degrees: float = -180.0) -> common_pb2.Grid:
    """A sphere grid, e.g. ``grid("equiangular", 9, 16)``. ``kind`` is a GridKind without its prefix:
    equiangular, legendre_gauss, lobatto, equiangular_trapezoidal or equirectangular."""
    return common_pb2.Grid(kind=_enum(common_pb2.GridKind, "GRID_KIND_", kind), nlat=nlat, nlon=nlon,
                           lon_origin_degrees=lon_origin_degrees)


def band(source_band: int, role: str = "input", name: str = "", resampling: str = "unspecified",
         source_index: int = 0, label_map: Mapping[int, int] | None = None) -> datasets_pb2.BandSpec:
    """One band of an ingest: ``band(1, "input", "red")``, ``band(2, "label", "water", label_map={0: 0, 255: 1})``."""
    return datasets_pb2.BandSpec(source_band=source_band, role=_enum(common_pb2.BandRole, "BAND_ROLE_", role), name=name,
                                 resampling=_enum(common_pb2.Resampling, "RESAMPLING_", resampling),
                                 source_index=source_index, label_map=dict(label_map or {}))


def bounds(west: float, south: float, east: float, north: float) -> common_pb2.GeographicBounds:
    """Where an image without georeferencing lies: its pixels' outer edges in degrees (EPSG:4326). An image across the
    antimeridian has ``east`` beyond 180 (e.g. west 170, east 190)."""
    return common_pb2.GeographicBounds(west=west, south=south, east=east, north=north)


def raster(source: str | datasets_pb2.Dataset, *, variable: str = "",
           bounds: common_pb2.GeographicBounds | tuple[float, float, float, float] | None = None) -> common_pb2.RasterSource:
    """A raster for :meth:`Client.predict` (or an ingest's additional source): an uploaded raw dataset (its id, or the
    Dataset) or an absolute server-side path under one of the server's import roots, with the ``variable`` of a
    NetCDF/HDF5 file and the ``bounds`` (west, south, east, north) of an image without georeferencing."""
    message = common_pb2.RasterSource(variable=variable, bounds=_bounds(bounds))
    if isinstance(source, datasets_pb2.Dataset):
        message.dataset_id = source.id
    elif source.startswith("/"):
        message.server_path = source
    else:
        message.dataset_id = source
    return message


def suggest_name(file_name: str) -> str:
    """A dataset name from a file name, as the C# client and the CLI make it: the stem with characters outside
    [A-Za-z0-9._-] replaced by '-', without leading '.', '_' or '-', at most 128 characters."""
    stem = Path(file_name).stem
    name = re.sub(r"[^A-Za-z0-9._-]", "-", stem).lstrip("._-")
    return name[:128] or "dataset"


def is_final(job: jobs_pb2.Job) -> bool:
    """True when the job will not change any more (succeeded, failed, cancelled or interrupted)."""
    return job.state in _FINAL_STATES


@dataclass(frozen=True)
class UploadResult:
    """What an upload produced: the raw dataset, whether it already existed (nothing sent), the byte offset the
    upload resumed from (0 for a fresh upload) and how many bytes this call sent."""

    dataset: datasets_pb2.Dataset
    already_existed: bool
    resumed_from: int
    bytes_sent: int


class Client:
    """A connection to a disco-server. Use as a context manager, or call :meth:`close`.

    >>> with Client("localhost:50051", api_key="...") as disco:
    ...     raw = disco.upload("world.tif").dataset
    """

    def __init__(self, address: str, *, api_key: str | None = None, tls: bool | None = None,
                 root_certificates: bytes | None = None, client_certificate: tuple[bytes, bytes] | None = None,
                 timeout: float = 60.0, chunk_bytes: int = MAX_CHUNK_BYTES, max_attempts: int = 3) -> None:
        """Connects to ``address`` (``host:port``, ``http://host:port`` or ``https://host:port``).

        ``api_key`` is sent as ``x-api-key`` on every call. ``tls`` defaults to True for ``https://`` addresses;
        ``root_certificates`` (PEM bytes) trusts a private CA or self-signed server certificate;
        ``client_certificate`` is ``(certificate_chain_pem, private_key_pem)`` for servers that require one. ``timeout`` is the
        deadline of unary calls in seconds (streams run as long as they need). ``max_attempts`` is how many upload
        attempts in a row may fail without progress before the upload gives up.
        """
        if not MIN_CHUNK_BYTES <= chunk_bytes <= MAX_CHUNK_BYTES:
            raise ValueError(f"chunk_bytes must be {MIN_CHUNK_BYTES}..{MAX_CHUNK_BYTES}")
        target, secure = address, False
        for scheme, is_tls in (("https://", True), ("http://", False)):
            if address.startswith(scheme):
                target, secure = address[len(scheme):].rstrip("/"), is_tls
        secure = secure if tls is None else tls
        options = [("grpc.max_receive_message_length", 64 * 1024 * 1024), ("grpc.max_send_message_length", 16 * 1024 * 1024)]
        if secure:
            self._channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(
                root_certificates, *(reversed(client_certificate) if client_certificate else ())), options)
        else:
            self._channel = grpc.insecure_channel(target, options)
        self._metadata = (("x-api-key", api_key),) if api_key else ()
        self._timeout = timeout
        self._chunk_bytes = chunk_bytes
        self._max_attempts = max(1, max_attempts)
        # The raw stubs, for RPCs the wrapper does not cover; pass ``metadata=client.metadata`` to send the API key.
        self.datasets = datasets_pb2_grpc.DatasetServiceStub(self._channel)
        self.jobs = jobs_pb2_grpc.JobServiceStub(self._channel)
        self.training = training_pb2_grpc.TrainingServiceStub(self._channel)
        self.predictions = predictions_pb2_grpc.PredictionServiceStub(self._channel)
        self.models = models_pb2_grpc.ModelServiceStub(self._channel)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Call metadata (the API key) for calls made on the raw stubs."""
        return self._metadata

    def close(self) -> None:
        """Closes the channel."""
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Datasets -------------------------------------------------------------------------------------------------------

    def upload(self, path: str | os.PathLike[str], name: str | None = None, *, description: str = "",
               labels: Mapping[str, str] | None = None, progress: Callable[[int, int], None] | None = None) -> UploadResult:
        """Uploads a file as a raw dataset named ``name`` (by default :func:`suggest_name` of the file name).

        Resumes where an earlier, interrupted upload of the same name and content stopped: the server keeps the bytes it
        committed, and GetUploadStatus says how many. A connection lost midway is retried, with back-off, from the
        committed offset; only ``max_attempts`` failures in a row without progress end the upload. ``progress(sent,
        total)`` is called after every chunk; an exception it raises stops the upload (the bytes sent so far stay on
        the server for the next call). Uploading the same name and content again returns the existing dataset
        without sending anything."""
        file = Path(path)
        size = file.stat().st_size
        sha256 = _sha256(file)
        name = name or suggest_name(file.name)
        query = datasets_pb2.GetUploadStatusRequest(name=name, size_bytes=size, sha256=sha256)
        failures, first_offset, sent = 0, None, 0
        while True:
            try:
                status = self._unary(self.datasets.GetUploadStatus, query)
            except DiscoError as failure:
                # After a failed attempt the server may still be coming back; the first question must succeed.
                if failures == 0 or failure.code not in _RESUMABLE:
                    raise
                failures = self._back_off(failures + 1, failure)
                continue
            if status.state == datasets_pb2.UPLOAD_STATE_COMPLETE:
                dataset = self._unary(self.datasets.GetDataset, datasets_pb2.GetDatasetRequest(dataset=status.dataset_id))
                return UploadResult(dataset, sent == 0, size if first_offset is None else first_offset, sent)
            offset = status.committed_bytes
            first_offset = offset if first_offset is None else first_offset
            header = datasets_pb2.UploadHeader(name=name, size_bytes=size, sha256=sha256, offset=offset, file_name=file.name,
                                               description=description, labels=dict(labels or {}))
            counter, stopped = [0], []
            try:
                response = self.datasets.UploadFile(self._chunks(file, header, offset, size, counter, stopped, progress),
                                                    metadata=self._metadata)
                sent += counter[0]
                return UploadResult(response.dataset, response.already_existed, first_offset, sent)
            except grpc.RpcError as error:
                sent += counter[0]
                if stopped:
                    # The stream was ended on purpose; the server kept what it received (UPLOAD_INCOMPLETE).
                    raise stopped[0] from None
                failure = DiscoError.from_rpc_error(error)
                # A stream cut short on the way (a proxy, a dropped connection) ends as UPLOAD_INCOMPLETE: resume too.
                if error.code() not in _RESUMABLE and failure.precondition_type != "UPLOAD_INCOMPLETE":
                    raise failure from None
            # Count only failures after which the server committed nothing new, so a long upload over a flaky link
            # keeps going; a server that is restarting gets time to come back.
            committed = self._committed_or_none(query)
            failures = self._back_off(1 if committed is not None and committed > offset else failures + 1, failure)

    def _committed_or_none(self, query: datasets_pb2.GetUploadStatusRequest) -> int | None:
        try:
            return self._unary(self.datasets.GetUploadStatus, query).committed_bytes
        except DiscoError:
            return None  # unknown progress counts as none

    def _back_off(self, failures: int, failure: DiscoError) -> int:
        """Raises ``failure`` after ``max_attempts`` failures in a row, else waits (exponential, jittered)."""
        if failures >= self._max_attempts:
            raise failure
        time.sleep(min(5.0, 0.2 * 2 ** failures) * random.uniform(0.5, 1.0))
        return failures

    def _chunks(self, file: Path, header: datasets_pb2.UploadHeader, offset: int, size: int, counter: list[int],
                stopped: list[BaseException], progress: Callable[[int, int], None] | None) -> Iterator[datasets_pb2.UploadFileRequest]:
        # grpc turns an exception raised here into a bare UNKNOWN status; instead the stream ends early (the server
        # keeps the bytes for a resume) and upload() raises the exception itself.
        yield datasets_pb2.UploadFileRequest(header=header)
        try:
            with file.open("rb") as stream:
                stream.seek(offset)
                while offset < size:
                    data = stream.read(min(self._chunk_bytes, size - offset))
                    if not data:
                        raise OSError(f"{file} shrank while it was being uploaded")
                    yield datasets_pb2.UploadFileRequest(chunk=common_pb2.FileChunk(offset=offset, data=data))
                    offset += len(data)
                    counter[0] += len(data)
                    if progress is not None:
                        progress(offset, size)
        except Exception as error:  # noqa: BLE001 - re-raised by upload() once the server has answered
            stopped.append(error)

    def upload_status(self, name: str, path: str | os.PathLike[str]) -> datasets_pb2.UploadStatus:
        """How many bytes of an upload of ``path`` as ``name`` the server has committed."""
        file = Path(path)
        return self._unary(self.datasets.GetUploadStatus,
                           datasets_pb2.GetUploadStatusRequest(name=name, size_bytes=file.stat().st_size, sha256=_sha256(file)))

    def ingest(self, name: str, source: str | datasets_pb2.Dataset, grid: common_pb2.Grid,
               bands: Sequence[datasets_pb2.BandSpec] = (), *, variable: str = "",
               bounds: common_pb2.GeographicBounds | tuple[float, float, float, float] | None = None,
               additional_sources: Sequence[common_pb2.RasterSource] = (), description: str = "",
               request_id: str | None = None, wait: bool = True,
               on_progress: Callable[[jobs_pb2.Job], None] | None = None) -> datasets_pb2.Dataset | jobs_pb2.Job:
        """Resamples an uploaded raw dataset (its id, or the Dataset) onto ``grid`` as the gridded dataset ``name``.
        ``variable`` picks one variable of a NetCDF/HDF5 file with several; ``bounds`` (west, south, east, north in
        degrees, or a GeographicBounds) places an image without georeferencing that is not a 2:1 whole-Earth map;
        ``additional_sources`` are further rasters or vector layers (see :func:`raster`). With ``wait`` (the
        default) watches the job and returns the new dataset; otherwise returns the queued job. A bad request raises
        :class:`DiscoError` with the field violations (e.g. ``bounds``), and no job is queued."""
        dataset_id = source.id if isinstance(source, datasets_pb2.Dataset) else source
        request = datasets_pb2.IngestDatasetRequest(name=name, dataset_id=dataset_id, grid=grid, bands=list(bands),
                                                    variable=variable, bounds=_bounds(bounds),
                                                    additional_sources=list(additional_sources),
                                                    description=description, request_id=request_id or uuid.uuid4().hex)
        job = self._unary(self.datasets.IngestDataset, request)
        if not wait:
            return job
        job = self.wait(job.id, on_progress=on_progress)
        return self.get_dataset(job.result.dataset_id)

    def get_dataset(self, dataset: str) -> datasets_pb2.Dataset:
        """A dataset by id ("ds_...") or name."""
        return self._unary(self.datasets.GetDataset, datasets_pb2.GetDatasetRequest(dataset=dataset))

    def list_datasets(self, name_prefix: str = "") -> Iterator[datasets_pb2.Dataset]:
        """Every dataset (optionally only names starting with ``name_prefix``), page by page."""
        return self._pages(lambda token: self._unary(
            self.datasets.ListDatasets, datasets_pb2.ListDatasetsRequest(page_token=token, name_prefix=name_prefix)), "datasets")

    def download(self, dataset: str, path: str | os.PathLike[str]) -> datasets_pb2.Dataset:
        """Downloads a raw dataset's file to ``path``, checking its size and SHA-256 against the dataset record; returns
        the record. Nothing is left behind on failure."""
        stream = self.datasets.DownloadDataset(datasets_pb2.DownloadDatasetRequest(dataset=dataset), metadata=self._metadata)
        header: list[datasets_pb2.Dataset] = []

        def as_file(message: datasets_pb2.DownloadDatasetResponse) -> Any:
            # The stream starts with the dataset record; it vouches for the file like an export's FileMetadata.
            if message.WhichOneof("message") == "dataset":
                header.append(message.dataset)
                blob = message.dataset.blob
                return _FileMessage(common_pb2.FileMetadata(size_bytes=blob.size_bytes, sha256=blob.sha256), None)
            if message.WhichOneof("message") == "tile":
                raise ValueError(f"{dataset} is a gridded dataset; download raw datasets, or export gridded ones")
            return _FileMessage(None, message.chunk)

        self._receive_file(map(as_file, stream), Path(path))
        return header[0]

    # Training and jobs ----------------------------------------------------------------------------------------------

    def train(self, model_name: str, datasets: Sequence[str], *, task: str = "segmentation",
              model: training_pb2.ModelConfig | Mapping[str, Any] | None = None,
              hyper_parameters: training_pb2.HyperParameters | Mapping[str, Any] | None = None,
              validation_datasets: Sequence[str] = (), device: str = "", request_id: str | None = None) -> jobs_pb2.Job:
        """Queues a training job and returns it; watch it with :meth:`watch` or :meth:`wait`. ``task`` is
        segmentation, regression or depth; ``model`` and ``hyper_parameters`` are messages or dicts of their fields,
        e.g. ``model={"levels": 2, "base_channels": 4, "class_names": ["water", "land"]}``. A bad request raises
        :class:`DiscoError` with the field violations, and no job is queued."""
        request = training_pb2.StartTrainingRequest(
            model_name=model_name, datasets=list(datasets), validation_datasets=list(validation_datasets),
            task=_enum(training_pb2.TrainingTask, "TRAINING_TASK_", task), model=_message(training_pb2.ModelConfig, model),
            hyper_parameters=_message(training_pb2.HyperParameters, hyper_parameters), device=device,
            request_id=request_id or uuid.uuid4().hex)
        return self._unary(self.training.StartTraining, request)

    def get_job(self, job_id: str) -> jobs_pb2.Job:
        """A job's current state."""
        return self._unary(self.jobs.GetJob, jobs_pb2.GetJobRequest(job_id=job_id))

    def watch(self, job_id: str) -> Iterator[jobs_pb2.Job]:
        """Yields the job's state, then every change (progress: epoch, step, loss, ETA) until it is final. A watch that
        is interrupted can simply be started again."""
        try:
            for event in self.jobs.WatchJob(jobs_pb2.WatchJobRequest(job_id=job_id), metadata=self._metadata):
                yield event.job
        except grpc.RpcError as error:
            raise DiscoError.from_rpc_error(error) from None

    def wait(self, job_id: str, *, on_progress: Callable[[jobs_pb2.Job], None] | None = None) -> jobs_pb2.Job:
        """Watches the job until it is final; returns it when it succeeded, raises :class:`JobFailed` otherwise."""
        last = None
        for job in self.watch(job_id):
            last = job
            if on_progress is not None:
                on_progress(job)
            if is_final(job):
                break
        if last is None or not is_final(last):
            last = self.get_job(job_id)
        if last.state != jobs_pb2.JOB_STATE_SUCCEEDED:
            raise JobFailed(last)
        return last

    def get_model(self, model: str) -> models_pb2.Model:
        """A model by id ("mdl_...") or name."""
        return self._unary(self.models.GetModel, models_pb2.GetModelRequest(model=model))

    # Predictions ----------------------------------------------------------------------------------------------------

    def predict(self, model: str, dataset: str | common_pb2.RasterSource, *, probabilities: bool = False,
                rows_per_tile: int = 0, rotation_averaging: int = 0, level_with: str = "", level_refinements: int = 0,
                name: str = "", request_id: str | None = None,
                on_progress: Callable[[jobs_pb2.JobProgress], None] | None = None) -> PredictionResult:
        """Runs ``model`` (id or name) on a gridded dataset on its grid (its id or name), or on a raster resampled onto
        the model's grid (a RasterSource from :func:`raster`, with ``bounds`` for an image without georeferencing),
        and returns the map as numpy arrays with latitude/longitude coordinates (:class:`PredictionResult`;
        ``.to_xarray()`` for a DataArray). The prediction is kept on the server: export it with :meth:`export` and
        its ``id``. ``level_with`` names an isotropic DISCO segmentation model (classes "ceiling" and "floor") that
        levels each input first, for panoramas whose camera orientation is unknown; ``level_refinements`` (0..3) adds
        passes that re-estimate up from the model's own output."""
        source = {"raster": dataset} if isinstance(dataset, common_pb2.RasterSource) else {"dataset": dataset}
        request = predictions_pb2.PredictRequest(
            model=model, **source, rows_per_tile=rows_per_tile, rotation_averaging=rotation_averaging,
            level_with=level_with, level_refinements=level_refinements, name=name,
            request_id=request_id or "", stream_tiles=True,
            output=predictions_pb2.PREDICTION_OUTPUT_PROBABILITIES if probabilities else predictions_pb2.PREDICTION_OUTPUT_VALUES)
        record, summary, tiles = None, None, []
        try:
            for message in self.predictions.Predict(request, metadata=self._metadata):
                kind = message.WhichOneof("message")
                if kind == "prediction":
                    record = message.prediction
                elif kind == "tile":
                    tiles.append(message.tile)
                elif kind == "summary":
                    summary = message.summary
                elif kind == "progress" and on_progress is not None:
                    on_progress(message.progress)
        except grpc.RpcError as error:
            raise DiscoError.from_rpc_error(error) from None
        if record is None or summary is None:
            raise ValueError("the prediction stream ended without its record or summary")
        # The record streamed first is the pending one; the finished record carries the grid and bands.
        finished = self._unary(self.predictions.GetPrediction, predictions_pb2.GetPredictionRequest(prediction=record.id))
        assembler = TileAssembler(finished.grid)
        for tile in tiles:
            assembler.add(tile)
        return assembler.finish(finished, summary)

    def export(self, prediction: str | PredictionResult, path: str | os.PathLike[str], format: str = "cog", *,
               width: int = 0, height: int = 0) -> common_pb2.FileMetadata:
        """Writes a finished prediction to ``path`` as cog, geotiff, geojson or png, checking size and SHA-256; class
        names go to ``path + ".aux.xml"`` for GeoTIFFs when the server sends them. Nothing is left behind on failure."""
        prediction_id = prediction.id if isinstance(prediction, PredictionResult) else prediction
        request = predictions_pb2.ExportPredictionRequest(
            prediction=prediction_id, format=_enum(predictions_pb2.ExportFormat, "EXPORT_FORMAT_", format), width=width, height=height)
        return self._receive_file(self.predictions.ExportPrediction(request, metadata=self._metadata), Path(path))

    # Plumbing -------------------------------------------------------------------------------------------------------

    def _receive_file(self, stream: Iterable[Any], destination: Path) -> common_pb2.FileMetadata:
        partial = destination.with_name(destination.name + ".part")
        metadata, digest, received = None, hashlib.sha256(), 0
        try:
            with partial.open("wb") as output:
                for message in stream:
                    kind = message.WhichOneof("message")
                    if kind == "file":
                        metadata = message.file
                    elif kind == "chunk":
                        if message.chunk.offset != received:
                            raise ValueError(f"the server sent offset {message.chunk.offset}, expected {received}")
                        output.write(message.chunk.data)
                        digest.update(message.chunk.data)
                        received += len(message.chunk.data)
            if metadata is None or received != metadata.size_bytes or digest.hexdigest() != metadata.sha256:
                raise ValueError(f"the export arrived incomplete or damaged ({received} bytes); nothing was written")
            os.replace(partial, destination)
            sidecar = destination.with_name(destination.name + ".aux.xml")
            if metadata.aux_xml:
                sidecar.write_text(metadata.aux_xml, encoding="utf-8")
            elif sidecar.exists():
                sidecar.unlink()  # a sidecar of an earlier file of that name would describe the wrong raster
            return metadata
        except grpc.RpcError as error:
            raise DiscoError.from_rpc_error(error) from None
        finally:
            partial.unlink(missing_ok=True)

    def _unary(self, method: Callable[..., T], request: Any) -> T:
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise DiscoError.from_rpc_error(error) from None

    @staticmethod
    def _pages(fetch: Callable[[str], Any], field: str) -> Iterator[Any]:
        token = ""
        while True:
            page = fetch(token)
            yield from getattr(page, field)
            token = page.next_page_token
            if not token:
                return


@dataclass(frozen=True)
class _FileMessage:
    """A download message in the shape of an export message (file metadata or a chunk), for _receive_file."""

    file: common_pb2.FileMetadata | None
    chunk: common_pb2.FileChunk | None

    def WhichOneof(self, _: str) -> str:  # noqa: N802 - mirrors the protobuf method _receive_file calls
        return "file" if self.file is not None else "chunk"


def connect(address: str, *, api_key: str | None = None, tls: bool | None = None,
            root_certificates: bytes | None = None, **options: Any) -> Client:
    """Opens a :class:`Client` (see its constructor for the options)."""
    return Client(address, api_key=api_key, tls=tls, root_certificates=root_certificates, **options)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for block in iter(lambda: stream.read(MAX_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def _bounds(value: common_pb2.GeographicBounds | tuple[float, float, float, float] | None) -> common_pb2.GeographicBounds | None:
    if value is None or isinstance(value, common_pb2.GeographicBounds):
        return value
    west, south, east, north = value
    return bounds(west, south, east, north)


def _enum(enum: Any, prefix: str, value: str | int) -> int:
    if isinstance(value, int):
        return value
    try:
        return enum.Value(prefix + value.upper().replace("-", "_").replace(" ", "_"))
    except ValueError:
        choices = ", ".join(n[len(prefix):].lower() for n in enum.keys() if not n.endswith("UNSPECIFIED"))
        raise ValueError(f"unknown {prefix.rstrip('_').lower()} {value!r}; choose one of {choices}") from None


def _message(kind: type[T], value: Any) -> T | None:
    if value is None or isinstance(value, kind):
        return value
    return kind(**dict(value))
