"""What every reference trainer shares: the job CLI, recipe validation, attaching to the
dispatcher's MLflow run and logging params without contradicting it (README.md)."""

import argparse
import json
import math
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

# Fields the dispatcher keeps for itself; a recipe file read straight from recipes/ still has them.
DISPATCHER_FIELDS = ("description", "entrypoint")
REQUIRED = object()


class RecipeError(Exception):
    """An invalid recipe: the job exits 2."""


class JobError(Exception):
    """Anything else that stops the job (dataset, MLflow): the job exits 1."""


def _follow_parent_lifeline() -> None:
    """The dispatcher holds our stdin open and never writes to it: end of file means it died
    (even by SIGKILL). Its replacement retries the job, so this process group stops, rather
    than train on as an orphan and finish an MLflow run nobody watches."""
    # The raw descriptor, not sys.stdin: a daemon thread blocked inside the buffered reader holds its
    # lock, and the interpreter aborts at exit when it cannot take it.
    while os.read(0, 4096):
        pass
    os.killpg(os.getpgrp(), signal.SIGTERM)


def job_arguments(description: str) -> argparse.Namespace:
    if os.environ.get("PL_PARENT_LIFELINE") == "stdin":
        threading.Thread(target=_follow_parent_lifeline, name="parent-lifeline", daemon=True).start()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", required=True, help="dataset version folder: a local path or s3://bucket/prefix/")
    parser.add_argument("--recipe", required=True, help="the training recipe (JSON)")
    parser.add_argument("--output", required=True, help="scratch folder; model/, tokenizer/ and config/ are written here")
    return parser.parse_args()


# Checks: each returns None when the value is fine, else what it must be.
def integer(minimum: int) -> Callable[[Any], str | None]:
    return lambda v: None if type(v) is int and v >= minimum else f"an integer >= {minimum}"


def number(minimum: float, exclusive: bool = False, below: float = math.inf) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = type(v) in (int, float) and math.isfinite(v) and (v > minimum if exclusive else v >= minimum) and v < below
        return None if ok else f"a number {'>' if exclusive else '>='} {minimum}" + (f" and < {below}" if below < math.inf else "")

    return check


def flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "true or false"


def text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "a non-empty string"


def one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else "one of " + ", ".join(repr(c) for c in choices)


def texts(allow_empty: bool) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        ok = isinstance(v, list) and (allow_empty or v) and all(text(s) is None for s in v)
        return None if ok else f"a{'' if allow_empty else ' non-empty'} list of non-empty strings"

    return check


def load_recipe(path: str, fields: dict[str, tuple[Callable[[Any], str | None], Any]]) -> dict[str, Any]:
    """The recipe with defaults filled in; RecipeError naming the first bad field."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise RecipeError(f"cannot read recipe {path}: {e}") from e
    if not isinstance(raw, dict):
        raise RecipeError(f"recipe {path} must be a JSON object")
    for name in raw:
        if name not in fields and name not in DISPATCHER_FIELDS:
            raise RecipeError(f"unknown recipe field '{name}'")
    recipe = {}
    for name, (check, default) in fields.items():
        if name not in raw:
            if default is REQUIRED:
                raise RecipeError(f"recipe field '{name}' is required")
            recipe[name] = default
            continue
        problem = check(raw[name])
        if problem:
            raise RecipeError(f"recipe field '{name}' must be {problem}, got {json.dumps(raw[name])}")
        recipe[name] = raw[name]
    return recipe


def attach_run() -> tuple[str, dict[str, str]]:
    """The dispatcher's run id and params, once the run is found; mlflow.start_run(run_id=...) attaches
    (and ends the run, dropping MLFLOW_RUN_ID from the environment: keep the id returned here)."""
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID"):
        if not os.environ.get(name):
            raise JobError(f"{name} is not set: the dispatcher creates the MLflow run and passes its id")
    # Fail in seconds, not minutes, when the tracking server is down.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # bars flood the job log
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        run = MlflowClient().get_run(os.environ["MLFLOW_RUN_ID"])
    except MlflowException as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise JobError(f"cannot read MLflow run {os.environ['MLFLOW_RUN_ID']} at {os.environ['MLFLOW_TRACKING_URI']}: {first}") from e
    return run.info.run_id, dict(run.data.params)


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)  # the dispatcher writes numbers as JavaScript does ("0.00001" vs "1e-05")
    except ValueError:
        return False


def log_params_once(existing: dict[str, str], params: dict[str, Any]) -> None:
    """Logs the params the run lacks; one the run has with another value is an error, never re-logged."""
    import mlflow

    new = {}
    for name, value in params.items():
        value = value if isinstance(value, str) else json.dumps(value)
        if name not in existing:
            new[name] = value
        elif not _same(existing[name], value):
            raise RecipeError(f"recipe field '{name}' is {value} but the MLflow run was created with {name}={existing[name]}")
    if new:
        mlflow.log_params(new)


def write_json(path: str, value: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n")


def run_job(name: str, main: Callable[[], None]) -> None:
    """Runs main and exits 0, 2 (invalid recipe) or 1, with a one-line reason on stderr."""
    try:
        main()
    except RecipeError as e:
        print(f"{name}: invalid recipe: {e}", file=sys.stderr)
        sys.exit(2)
    except JobError as e:
        print(f"{name}: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # the log keeps the traceback; stderr gets the one line
        traceback.print_exc(file=sys.stdout)
        print(f"{name}: failed: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
        sys.exit(1)
