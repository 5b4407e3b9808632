# syntax=docker/dockerfile:1.7
# The trainer image: a CUDA base with the Python of services/trainer-dispatcher/trainers/requirements-gpu.txt, and the
# trainer-dispatcher service. The dispatcher's only backend runs each trainer as its child process (backends/
# local-process-backend.ts), so trainers and dispatcher share this container. From the repository root:
#   docker build -f deploy/images/trainer.Dockerfile -t planner-lifecycle/trainer:dev .
# A CPU-only variant for laptops (the reference planner-ranker needs only mlflow, numpy and pyarrow):
#   docker build -f deploy/images/trainer.Dockerfile --build-arg BASE_IMAGE=ubuntu:24.04 \
#     --build-arg TRAINER_PACKAGES=cpu -t planner-lifecycle/trainer-cpu:dev .
ARG NODE_IMAGE=node:24-trixie-slim
ARG BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN npm install --global --no-audit --no-fund pnpm@12.4.2
COPY package.json pnpm-workspace.yaml pnpm-lock.yaml ./
# The dependency patches pnpm applies (pnpm-workspace.yaml's patchedDependencies; decision 0004).
COPY patches patches
COPY packages packages
COPY services services
COPY schemas schemas
RUN pnpm install --frozen-lockfile --prod --filter '@planner/trainer-dispatcher...'

FROM ${BASE_IMAGE} AS trainer
# all: every pin of requirements-gpu.txt (torch, transformers, peft, bitsandbytes: lora_sft.py);
# cpu: only its mlflow, numpy and pyarrow pins, the same versions, for planner_ranker.py.
ARG TRAINER_PACKAGES=all
RUN apt-get update \
 && apt-get install --yes --no-install-recommends python3 python3-venv ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
COPY services/trainer-dispatcher/trainers/requirements-gpu.txt /opt/trainers/requirements-gpu.txt
RUN python3 -m venv /opt/trainers/venv \
 && case "${TRAINER_PACKAGES}" in \
      all) cp /opt/trainers/requirements-gpu.txt /opt/trainers/requirements.txt ;; \
      cpu) grep -E '^(mlflow|numpy|pyarrow)==' /opt/trainers/requirements-gpu.txt > /opt/trainers/requirements.txt ;; \
      *) echo "TRAINER_PACKAGES must be all or cpu, got ${TRAINER_PACKAGES}" >&2; exit 1 ;; \
    esac \
 && /opt/trainers/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r /opt/trainers/requirements.txt
# Node 24 from the official image (glibc build; the Ubuntu base's glibc is newer) and the dispatcher's workspace.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /app /app
COPY deploy/images/planner-service /usr/local/bin/planner-service
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning \
    TRAINER_PYTHON=/opt/trainers/venv/bin/python \
    HOME=/tmp \
    HF_HOME=/tmp/huggingface
WORKDIR /app
# Ubuntu 24.04 images already have uid 1000 (ubuntu); the number is what matters to Kubernetes' runAsNonRoot.
USER 1000:1000
# tini reaps trainers' orphaned children: the dispatcher starts each trainer in its own process group.
ENTRYPOINT ["tini", "--", "planner-service"]
CMD ["trainer-dispatcher"]
