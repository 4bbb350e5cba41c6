# One image for every process of docker-compose.yml: the Rasa server, the action server, the
# worker, the console (and the embedded Duckling). Why python:3.10-slim and not rasa/rasa:
# docs/decisions.md (33). The trained model is mounted (./models), not baked in: retraining
# does not rebuild the image, and one image serves every practice.

# --- build: the pinned dependency set, compiled into a virtual environment --------------------
FROM python:3.10.13-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install pip==26.3 setuptools==70.3.0 wheel==0.45.1 \
    && pip install -r requirements.txt -c constraints.txt
COPY pyproject.toml ./
COPY clinic clinic
COPY actions actions
COPY connectors connectors
RUN pip install --no-deps .

# --- runtime: the environment and the project's files (root's, read-only to the process), ---
# --- a non-root user that may write var/ and models/ only ------------------------------------
FROM python:3.10.13-slim-bookworm
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PATH=/opt/venv/bin:$PATH \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 SQLALCHEMY_SILENCE_UBER_WARNING=1
# tzdata: Europe/Paris for the practice's clock (Debian's current package of bookworm)
RUN apt-get update && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home clinic
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code belongs to root: a process that is broken into cannot rewrite what it runs.
COPY . .
# The red-flag model, trained once here (about 30 s) and read-only at run time: a process
# loads it in a second instead of training it at each start (clinic/domain/safety/classifier.py).
# The bytecode is compiled here too, since the runtime user cannot write __pycache__.
ENV CLINIC_MODEL_CACHE=/opt/clinic-cache
RUN mkdir -p var models && chown 10001:10001 var models \
    && python -m clinic.domain.safety \
    && python -m compileall -q clinic actions connectors
USER 10001
EXPOSE 5005 5055 8000 8070 9100
CMD ["python", "-m", "connectors.launch", "rasa", "--help"]
