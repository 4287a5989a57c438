# syntax=docker/dockerfile:1
# The Hamkke image: web (gunicorn), migrate, worker and beat all run it (see docker-compose.yml).

# ---- browser libraries from npm (the same files `make vendor` copies) ----
FROM node:20-slim AS vendor
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
    && mkdir -p /vendor \
    && cp node_modules/htmx.org/dist/htmx.min.js /vendor/htmx.min.js \
    && cp node_modules/socket.io-client/dist/socket.io.min.js /vendor/socket.io.min.js \
    && cp node_modules/socket.io-client/dist/socket.io.min.js.map /vendor/socket.io.min.js.map

# ---- the app ----
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HAMKKE_INSTANCE_PATH=/var/lib/hamkke
WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=vendor /vendor/ static/vendor/
# /var/log/hamkke holds the access-log anchor file and /var/cache/hamkke the PDF font cache
# (HAMKKE_CONSENTS_ACCESS_LOG_ANCHOR_FILE, HAMKKE_FONT_CACHE_DIR in .env.example); the unprivileged
# user must own them. Mount /var/log/hamkke on a volume to keep the anchors (docs/deploy.md).
# Editable install: the code finds templates/, static/, migrations/ and translations/ beside itself.
RUN pip install --no-deps -e . \
    && if [ -d translations ]; then pybabel compile --statistics -d translations; fi \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin hamkke \
    && mkdir -p /var/lib/hamkke/beat /var/log/hamkke /var/cache/hamkke/fonts \
    && chown -R hamkke:hamkke /var/lib/hamkke /var/log/hamkke /var/cache/hamkke

USER hamkke
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "-w", "1", "--threads", "100", "-k", "gthread", "hamkke.wsgi:app"]
