# Serves Embedding Projector on port 8000. Data (datasets, results) lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PROJECTOR_HOST=0.0.0.0 PROJECTOR_PORT=8000 PROJECTOR_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY static ./static
COPY templates ./templates
RUN pip install --no-cache-dir -e '.[examples]' \
    && useradd --create-home --uid 10001 projector \
    && mkdir -p /data && chown projector /data

USER projector
VOLUME ["/data"]
EXPOSE 8000
CMD ["embedding-projector", "serve"]
