"""Collections domain errors -> RFC 9457 problem details, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lending_collections.domain.errors import (
    ApprovalRefusedError,
    CaseClosedError,
    CaseNotFoundError,
    ContactLimitReachedError,
    PromiseInvalidError,
    ProposalDecidedError,
    ProposalInvalidError,
    ProposalNotFoundError,
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
    except ContactLimitReachedError as exc:
        raise ProblemError(409, str(exc), code="contact-limit-reached") from exc
    except PromiseInvalidError as exc:
        raise ProblemError(422, str(exc), code="promise-invalid") from exc
    except ProposalNotFoundError as exc:
        raise ProblemError(404, str(exc), code="proposal-not-found") from exc
    except ProposalInvalidError as exc:
        raise ProblemError(422, str(exc), code="proposal-invalid", errors=[
            {"field": exc.field, "message": exc.message}]) from exc
    except ProposalDecidedError as exc:
        raise ProblemError(409, str(exc), code="proposal-decided") from exc
    except ApprovalRefusedError as exc:
        raise ProblemError(403, str(exc), code="approval-refused") from exc
