# Serves Embedding Projector on port 8000. Data (datasets, results, views) lives in the /data volume.
# Two stages: the first builds the wheel (static/ and templates/ inside the package), the second
# installs only that wheel, so the image runs exactly what `pip install embedding-projector` would.
FROM python:3.11-slim AS wheel
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
COPY static ./static
COPY templates ./templates
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PROJECTOR_HOST=0.0.0.0 PROJECTOR_PORT=8000 PROJECTOR_DATA_DIR=/data
COPY --from=wheel /wheels /wheels
RUN wheel=$(ls /wheels/embedding_projector-*.whl) \
    && pip install --no-cache-dir "${wheel}[examples]" \
    && rm -rf /wheels \
    && useradd --create-home --uid 10001 projector \
    && mkdir -p /data && chown projector /data

USER projector
WORKDIR /home/projector
VOLUME ["/data"]
EXPOSE 8000
CMD ["embedding-projector", "serve"]
