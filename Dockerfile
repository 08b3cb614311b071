# The scrutiny questions bot for a council's container platform.
#
#   docker build -t scrutiny-questions-bot .
#   docker compose -f deploy/compose.yaml up -d      (see the README's "Deploying")
#
# Socket Mode by default: set SLACK_APP_TOKEN and nothing needs to reach the container. The
# database, its backups and nothing else that changes live on the /data volume. The health
# check asks the bot's GET /healthz on HEALTH_PORT, which answers in Socket Mode too.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The bot's own user: no login shell, no home, and it owns nothing but /data.
RUN groupadd --system --gid 10001 scrutiny \
    && useradd --system --uid 10001 --gid scrutiny --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin scrutiny

WORKDIR /app
COPY pyproject.toml README.md manifest.json ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# Installed in place: the code and manifest.json (which `python -m bot check` compares the
# token's scopes with) stay in /app, owned by root, so the bot can read them but not change them.
RUN pip install --no-cache-dir --editable . \
    && mkdir -p /data/backups \
    && chown -R scrutiny:scrutiny /data \
    && chmod -R 700 /data

ENV DATABASE_PATH=/data/scrutiny.db \
    BACKUP_DIR=/data/backups \
    HEALTH_PORT=8080
VOLUME ["/data"]

USER 10001:10001

# 200 while the bot is up and connected to Slack; 503 (unhealthy) while it is not.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HEALTH_PORT', '8080') + '/healthz', timeout=4)\nexcept Exception as problem:\n    sys.exit(f'unhealthy: {problem}')"]

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
