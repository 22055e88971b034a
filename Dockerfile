# syntax=docker/dockerfile:1
# Multi-stage build: wheels are built in the first stage, the runtime image has no compiler and runs as a
# non-root user.  gunicorn serves create_app(); the store is SQLite under /data unless LRS_MONGO_URI is set.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY lrs ./lrs
COPY api ./api
COPY auth ./auth
COPY validators ./validators
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LRS_DATA_DIR=/data
RUN groupadd --system lrs && useradd --system --gid lrs --home-dir /home/lrs --create-home lrs \
 && mkdir -p /data && chown lrs:lrs /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
USER lrs
WORKDIR /home/lrs
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
# `lrs db init` creates tables/indexes once, then gunicorn starts one store connection per worker.
CMD ["sh", "-c", "lrs db init && exec gunicorn --bind 0.0.0.0:8000 --workers ${LRS_WORKERS:-4} --timeout 60 --graceful-timeout 30 --max-requests 20000 --max-requests-jitter 2000 'api.app:create_app()'"]
