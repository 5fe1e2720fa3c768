from __future__ import annotations

from botocore.exceptions import ClientError, EndpointConnectionError

from desktop.sync.errors import Kind, MissingCredentials, classify
from desktop.sync.push import EngineState


def _client_error(code: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutItem",
    )


def test_classify_returns_the_class_of_a_fault_and_none_for_a_bug() -> None:
    kinds = {
        _client_error("ThrottlingException"): Kind.TRANSIENT,
        _client_error("Whatever", 503): Kind.TRANSIENT,
        _client_error("ConditionalCheckFailedException"): Kind.CONFLICT,
        _client_error("ResourceNotFoundException"): Kind.SETUP,
        _client_error("ValidationException"): Kind.PERMANENT,
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"): Kind.OFFLINE,
        MissingCredentials("no secret"): Kind.CREDENTIALS,
    }
    for error, kind in kinds.items():
        classified = classify(error)
        assert classified is not None and classified.kind == kind, error
    assert classify(KeyError("templateId")) is None  # a bug: for the caller to report
    assert classify(ValueError("bad")) is None


def test_a_cycle_stopped_by_a_fault_is_in_the_state_of_that_fault() -> None:
    assert EngineState.stopped_by(Kind.TRANSIENT) == EngineState.TRANSIENT == "transient"
    assert EngineState.stopped_by(Kind.PERMANENT) == EngineState.PERMANENT == "permanent"
    for kind in (Kind.OFFLINE, Kind.CREDENTIALS, Kind.SETUP):
        assert EngineState.stopped_by(kind) == kind.value
