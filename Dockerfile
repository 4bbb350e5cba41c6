# One image for the Rasa server, the action server and the embedded Duckling (see docker-compose.yml).
FROM python:3.10-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
RUN apt-get update && apt-get install -y --no-install-recommends tzdata && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt
COPY . .
RUN pip install --no-deps -e . && useradd --create-home clinic && mkdir -p var models \
    && chown -R clinic /app/var /app/models
USER clinic
EXPOSE 5005 5055 8000 8070
CMD ["python", "-m", "clinic.ops.launch", "rasa", "--help"]
