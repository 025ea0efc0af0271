"""Exceptions raised by the client: every failed call becomes a DiscoError with the server's details."""
from __future__ import annotations

from dataclasses import dataclass, field

import grpc

from ._stubs import disco_geo_rpc_pb2 as _rpc

_DETAILS_TRAILER = "grpc-status-details-bin"
_BAD_REQUEST = "google.rpc.BadRequest"
_ERROR_INFO = "google.rpc.ErrorInfo"
_PRECONDITION_FAILURE = "google.rpc.PreconditionFailure"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request: its path (e.g. ``bands[1].source_band``) and what is wrong with it."""

    field: str
    description: str


@dataclass(eq=False)
class DiscoError(Exception):
    """A call failed. ``code`` is the gRPC status; ``field_violations`` lists the invalid fields of a bad request
    (google.rpc.BadRequest), ``reason`` is google.rpc.ErrorInfo's machine-readable reason and ``precondition_type`` the
    type of a google.rpc.PreconditionFailure (e.g. ``UPLOAD_INCOMPLETE``), when the server sent them."""

    code: grpc.StatusCode
    message: str
    field_violations: list[FieldViolation] = field(default_factory=list)
    reason: str | None = None
    precondition_type: str | None = None

    def __post_init__(self) -> None:
        # Exception.args, so copy and pickle can rebuild the error (as cls(code, message)).
        super().__init__(self.code, self.message)

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        for violation in self.field_violations:
            text += f"\n  {violation.field}: {violation.description}"
        return text

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> DiscoError:
        """Reads the status code, message and google.rpc details of a failed call."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        violations: list[FieldViolation] = []
        reason = precondition = None
        trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
        for key, value in trailers or ():
            if key != _DETAILS_TRAILER:
                continue
            status = _rpc.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # noqa: BLE001 - a status from a proxy, not the server: keep code and message only
                continue
            for detail in status.details:
                name = detail.type_url.rsplit("/", 1)[-1]
                if name == _BAD_REQUEST:
                    bad_request = _rpc.BadRequest()
                    bad_request.ParseFromString(detail.value)
                    violations += [FieldViolation(v.field, v.description) for v in bad_request.field_violations]
                elif name == _ERROR_INFO:
                    info = _rpc.ErrorInfo()
                    info.ParseFromString(detail.value)
                    reason = info.reason or None
                elif name == _PRECONDITION_FAILURE:
                    failure = _rpc.PreconditionFailure()
                    failure.ParseFromString(detail.value)
                    precondition = next((v.type for v in failure.violations if v.type), None)
        return cls(code or grpc.StatusCode.UNKNOWN, message or "", violations, reason, precondition)


class JobFailed(Exception):
    """A job the client waited for ended FAILED or CANCELLED. ``job`` is its final record (``job.error`` says why)."""

    def __init__(self, job) -> None:
        from ._stubs.disco.geo.v1 import jobs_pb2

        state = jobs_pb2.JobState.Name(job.state)
        super().__init__(f"job {job.id} ended {state}: {job.error.message}")
        self.job = job
