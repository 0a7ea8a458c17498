# proscribe's service in a slim image: the wheel built in a first stage, installed in the second,
# run as an unprivileged user. docs/deploy.md shows it with PostgreSQL and Redis (compose.yaml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PROSCRIBE_HOST=0.0.0.0 \
    PROSCRIBE_PORT=8000 \
    PROSCRIBE_INDEX_CACHE=/var/lib/proscribe/index \
    PROSCRIBE_JOBS_DIR=/var/lib/proscribe/jobs \
    PROSCRIBE_AUDIT_DIR=/var/lib/proscribe/audit \
    PROSCRIBE_SECRET_FILE=/var/lib/proscribe/secrets/session.key
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /var/lib/proscribe --create-home proscribe \
    && install -d -o proscribe -g proscribe -m 0700 /var/lib/proscribe/index /var/lib/proscribe/jobs \
       /var/lib/proscribe/audit /var/lib/proscribe/secrets
USER proscribe
WORKDIR /var/lib/proscribe
VOLUME ["/var/lib/proscribe"]
EXPOSE 8000 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('PROSCRIBE_PORT', '8000'), timeout=4)"
ENTRYPOINT ["proscribe"]
CMD ["serve"]
