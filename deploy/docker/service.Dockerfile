# syntax=docker/dockerfile:1.7
# Every service's image, from one file: the build argument SERVICE names it. Build from the
# repository root (the uv workspace is the context):
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=intake \
#     --build-arg PORT=8001 -t lending-intake .
# Base: python:3.11.14-slim, pinned by the digest of its multi-arch index.
ARG PYTHON_IMAGE=python:3.11.14-slim@sha256:c8271b1f627d0068857dce5b53e14a9558603b527e46f1f901722f935b786a39

FROM ${PYTHON_IMAGE} AS builder
ARG SERVICE
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN test -n "${SERVICE}" || { echo "--build-arg SERVICE=<intake|underwriting|ledger|servicing|collections>"; exit 1; }
# The same uv as the Makefile's, so the lock file is read exactly as in development.
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
# The dependency layer first: the lock file and the workspace members' pyproject.toml only,
# so an edit to the source reuses it and only the workspace packages are built again.
COPY pyproject.toml uv.lock ./
COPY shared/events/pyproject.toml shared/events/
COPY shared/loanmath/pyproject.toml shared/loanmath/
COPY shared/messaging/pyproject.toml shared/messaging/
COPY shared/platform/pyproject.toml shared/platform/
COPY shared/devstack/pyproject.toml shared/devstack/
COPY shared/loanctl/pyproject.toml shared/loanctl/
COPY shared/simulators/pyproject.toml shared/simulators/
COPY services/intake/pyproject.toml services/intake/
COPY services/underwriting/pyproject.toml services/underwriting/
COPY services/ledger/pyproject.toml services/ledger/
COPY services/servicing/pyproject.toml services/servicing/
COPY services/collections/pyproject.toml services/collections/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --package lending-${SERVICE} --frozen --no-dev --no-install-workspace
# Then the source: this service and the workspace packages it depends on, as real wheels
# (not editable links into /src), so the runtime stage needs nothing but the environment.
COPY shared/ shared/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --package lending-${SERVICE} --frozen --no-dev --no-editable
COPY deploy/docker/migrate.py /app/bin/migrate.py

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
ARG PORT
LABEL org.opencontainers.image.title="lending-${SERVICE}" \
      org.opencontainers.image.description="The ${SERVICE} service of the microloan lending platform"
RUN groupadd --system --gid 10001 lending \
    && useradd --system --uid 10001 --gid lending --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin lending
COPY --from=builder /app /app
# lending_platform.container maps LENDING_SERVICE_HOST/PORT to the service's own
# <SERVICE>_HOST/_PORT (unless those are set) and runs `python -m lending_<service>`.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LENDING_SERVICE=${SERVICE} \
    LENDING_SERVICE_HOST=0.0.0.0 \
    LENDING_SERVICE_PORT=${PORT}
WORKDIR /app
USER 10001:10001
EXPOSE ${PORT}
# slim has no curl: ask /healthz with the standard library, on the port the service uses.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "lending_platform.container", "--healthcheck"]
CMD ["python", "-m", "lending_platform.container"]
