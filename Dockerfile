# syntax=docker/dockerfile:1.7
# One image for every Pulse Python service; the command picks the service:
#   python -m ingest_api          the ingest API (PULSE_API_HOST/PULSE_API_PORT)
#   python -m stream_processors   a stream worker (PULSE_WORKER_HOST/PULSE_WORKER_PORT)
#   pulse migrate                 apply pending ClickHouse migrations, then exit
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# A compiler only here, for any dependency without a wheel; the runtime stage has none.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/pulse
WORKDIR /src
COPY pyproject.toml ./
COPY core ./core
COPY pulse ./pulse
COPY schemas ./schemas
COPY clickhouse ./clickhouse
COPY ingest_api ./ingest_api
COPY stream_processors ./stream_processors
RUN /opt/pulse/bin/pip install .

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /srv/pulse pulse
COPY --from=build /opt/pulse /opt/pulse
# Docker secrets arrive as files (/run/secrets/NAME); Pulse reads its settings from the
# environment, so each secret whose file name is a variable name becomes that variable.
COPY --chmod=0755 <<'SCRIPT' /usr/local/bin/pulse-entrypoint
#!/bin/sh
set -eu
for secret in /run/secrets/*; do
    [ -f "$secret" ] || continue
    name=$(basename "$secret")
    case "$name" in
        *[!A-Z0-9_]*) continue ;;
    esac
    value=$(cat "$secret")
    export "$name=$value"
done
exec "$@"
SCRIPT
ENV PATH=/opt/pulse/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PULSE_DATA_DIR=/srv/pulse/data
# The working directory is the service user's own: `pulse` keeps its .env and data there.
WORKDIR /srv/pulse
USER pulse
EXPOSE 8000 6066
ENTRYPOINT ["pulse-entrypoint"]
CMD ["python", "-m", "ingest_api"]
