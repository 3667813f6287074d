# syntax=docker/dockerfile:1.7
# The local stand-ins for the external parties (lending_simulators: credit bureau, payout
# provider, SMS gateway, webhook receiver), one image for docker-compose.yml, which runs it
# once per simulator:  python -m lending_simulators.<name> --host 0.0.0.0 --port N
# Never deployed to Kubernetes. Build from the repository root:
#   docker build -f deploy/docker/simulators.Dockerfile -t lending-simulators .
ARG PYTHON_IMAGE=python:3.11.14-slim@sha256:c8271b1f627d0068857dce5b53e14a9558603b527e46f1f901722f935b786a39

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY shared/ shared/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --package lending-simulators --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="lending-simulators" \
      org.opencontainers.image.description="Local simulators of the lending platform's external parties"
RUN groupadd --system --gid 10001 lending \
    && useradd --system --uid 10001 --gid lending --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin lending
COPY --from=builder /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
USER 10001:10001
EXPOSE 8100 8101 8102 8104
CMD ["python", "-m", "lending_simulators.credit_bureau", "--host", "0.0.0.0", "--port", "8100"]
