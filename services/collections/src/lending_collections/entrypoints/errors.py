"""Collections domain errors -> RFC 9457 problem details, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lending_collections.domain.errors import (
    CaseClosedError,
    CaseNotFoundError,
    PromiseInvalidError,
)
from lending_platform.problems import ProblemError


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except CaseNotFoundError as exc:
        raise ProblemError(404, str(exc), code="case-not-found") from exc
    except CaseClosedError as exc:
        raise ProblemError(409, str(exc), code="case-closed") from exc
    except PromiseInvalidError as exc:
        raise ProblemError(422, str(exc), code="promise-invalid") from exc
