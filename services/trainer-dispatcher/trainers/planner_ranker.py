"""planner-ranker/1: a CPU ranking model over context x recipe tokens, fitted by mini-batch
gradient descent on the logistic loss (numpy only). See README.md for the job contract and
SCORE below for the formula a scorer must reproduce from model.json and tokenizer.json.
model/ is an MLflow pyfunc model (ranker_pyfunc.py) that also holds model.json."""

import json
import math
import os
import shutil
import tempfile
import time
from typing import Any

import numpy as np

from planner_dataset import read_columns
from training_contract import (
    REQUIRED,
    JobError,
    attach_run,
    integer,
    job_arguments,
    load_recipe,
    log_params_once,
    number,
    one_of,
    run_job,
    text,
    texts,
    write_json,
)

FORMAT = "planner-ranker/1"
TOP_K = 21  # a week: 7 days x 3 slots
EXAMPLE_PAIRS = 5  # rows of the MLflow model's input example
SCORE = (
    "score(context, recipe) = bias + sum_{r in R} recipe_token_bias[r] + sum_{c in C} sum_{r in R} weights[c][r]; "
    "C = the distinct context tokens (features_json) found in tokenizer.context_tokens, R = the distinct recipe tokens "
    "(tokens_json) found in tokenizer.recipe_tokens, each as its index in that list; tokens not in the vocabulary "
    "(including those dropped by drop_feature_prefixes) are ignored. P(accepted) = 1 / (1 + exp(-score)); "
    "rank recipes by score, highest first."
)
EVAL_SCORE = (
    f"mean over validation rows of recall@{TOP_K}: the share of the row's distinct accepted recipes found among the "
    f"{TOP_K} highest-scoring recipes of the whole catalogue (no meal-slot filter; ties by recipe_id)"
)
RECIPE_FIELDS = {
    "recipe_id": (text, REQUIRED),
    "architecture": (one_of("planner-ranker"), REQUIRED),
    "backend": (text, "local"),
    "learning_rate": (number(0, exclusive=True), REQUIRED),
    "batch_size": (integer(1), REQUIRED),
    "epochs": (integer(1), REQUIRED),
    "seed": (integer(0), 0),
    "l2": (number(0), 0.0),
    "negatives_per_positive": (integer(1), 4),
    "edited_away_weight": (integer(0), 4),
    "drop_feature_prefixes": (texts(allow_empty=True), []),
}


def log(message: str) -> None:
    print(f"planner_ranker: {message}", flush=True)


def token_list(value: Any, where: str) -> list[str]:
    try:
        tokens = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        tokens = None
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise JobError(f"{where} is not a JSON array of strings")
    return tokens


def multi_hot(token_sets: list[list[str]], vocabulary: dict[str, int]) -> np.ndarray:
    matrix = np.zeros((len(token_sets), len(vocabulary)))
    for i, tokens in enumerate(token_sets):
        matrix[i, [vocabulary[t] for t in tokens if t in vocabulary]] = 1.0
    return matrix


class Data:
    """The catalogue and the train/validation rows as multi-hot matrices and positive pairs."""

    def __init__(self, location: str, drop: tuple[str, ...]):
        def keep(tokens: list[str]) -> list[str]:
            return sorted({t for t in tokens if not t.startswith(drop)})

        catalogue = read_columns(location, "recipes.parquet", ["recipe_id", "tokens_json"])
        order = sorted(range(len(catalogue["recipe_id"])), key=lambda i: catalogue["recipe_id"][i])
        self.recipe_ids = [catalogue["recipe_id"][i] for i in order]
        if len(set(self.recipe_ids)) != len(self.recipe_ids) or not self.recipe_ids:
            raise JobError("recipes.parquet must list each recipe_id once and at least one recipe")
        recipe_tokens = [keep(token_list(catalogue["tokens_json"][i], f"recipes.parquet tokens_json of {catalogue['recipe_id'][i]}")) for i in order]
        raw_recipe_tokens = [catalogue["tokens_json"][i] for i in order]
        self.recipe_vocab = sorted({t for tokens in recipe_tokens for t in tokens})
        self.Z = multi_hot(recipe_tokens, {t: i for i, t in enumerate(self.recipe_vocab)})

        rows = read_columns(location, "training.parquet", ["split", "features_json", "accepted_meals_json", "user_edits_json", "codec_version"])
        self.row_counts = {s: rows["split"].count(s) for s in ("train", "validation", "evaluation")}
        codecs = sorted(set(rows["codec_version"]))
        if len(codecs) != 1:
            raise JobError(f"training.parquet must hold one codec_version, found {codecs}")
        self.codec_version = codecs[0]
        index = {r: i for i, r in enumerate(self.recipe_ids)}
        contexts: dict[str, list[list[str]]] = {"train": [], "validation": []}
        accepted: dict[str, list[list[int]]] = {"train": [], "validation": []}
        edited_away: dict[str, list[list[int]]] = {"train": [], "validation": []}
        # The MLflow model's input example: the first train rows, each with its first accepted recipe, as stored.
        self.example: list[dict[str, str]] = []
        unknown = 0
        for n, split in enumerate(rows["split"]):
            if split not in contexts:
                continue
            contexts[split].append(keep(token_list(rows["features_json"][n], f"training.parquet row {n} features_json")))
            meals = token_list(rows["accepted_meals_json"][n], f"training.parquet row {n} accepted_meals_json")
            unknown += sum(m not in index for m in meals)
            accepted[split].append(sorted({index[m] for m in meals if m in index}))
            if split == "train" and accepted[split][-1] and len(self.example) < EXAMPLE_PAIRS:
                self.example.append({"features_json": rows["features_json"][n], "tokens_json": raw_recipe_tokens[accepted[split][-1][0]]})
            # The meals the user swapped out: what they were shown and did not want, the clearest negatives there are.
            edits = json.loads(rows["user_edits_json"][n] or "[]")
            removed = {e.get("from_recipe_id") for e in edits if e.get("to_recipe_id")} - set(meals)
            edited_away[split].append(sorted({index[m] for m in removed if m in index}))
        if unknown:
            log(f"ignored {unknown} accepted meals whose recipe is not in recipes.parquet")
        self.context_vocab = sorted({t for tokens in contexts["train"] for t in tokens})
        vocabulary = {t: i for i, t in enumerate(self.context_vocab)}
        self.X = {s: multi_hot(contexts[s], vocabulary) for s in contexts}
        self.positives = {}
        for split, lists in accepted.items():
            pos_row = np.repeat(np.arange(len(lists)), [len(a) for a in lists])
            pos_recipe = np.array([r for a in lists for r in a], dtype=np.int64)
            if pos_row.size == 0:
                raise JobError(f"the {split} split has no accepted meal from the catalogue to learn from")
            self.positives[split] = (pos_row, pos_recipe)
        self.edited_away = {}
        for split, lists in edited_away.items():
            self.edited_away[split] = (
                np.repeat(np.arange(len(lists)), [len(a) for a in lists]),
                np.array([r for a in lists for r in a], dtype=np.int64),
            )


def sample_negatives(rng: np.random.Generator, pos_row: np.ndarray, pos_recipe: np.ndarray, k: int, n_recipes: int):
    """k catalogue recipes per positive, uniform, never one the row accepted (redrawn; dropped after 50 tries)."""
    accepted = np.sort(pos_row * n_recipes + pos_recipe)
    rows = np.repeat(pos_row, k)
    recipes = rng.integers(0, n_recipes, rows.size)
    for _ in range(50):
        clash = np.isin(rows * n_recipes + recipes, accepted, assume_unique=False)
        if not clash.any():
            break
        recipes[clash] = rng.integers(0, n_recipes, int(clash.sum()))
    else:
        rows, recipes = rows[~clash], recipes[~clash]
    return rows, recipes


def pairs(rng: np.random.Generator, positives: tuple[np.ndarray, np.ndarray], k: int, n_recipes: int, edited_away=None, weight: int = 0):
    """Accepted meals (1), uniform negatives (0) and, `weight` times each, the meals users swapped out (0)."""
    pos_row, pos_recipe = positives
    neg_row, neg_recipe = sample_negatives(rng, pos_row, pos_recipe, k, n_recipes)
    hard_row, hard_recipe = edited_away if edited_away is not None and weight > 0 else (np.empty(0, np.int64), np.empty(0, np.int64))
    hard_row, hard_recipe = np.tile(hard_row, weight), np.tile(hard_recipe, weight)
    labels = np.concatenate([np.ones(pos_row.size), np.zeros(neg_row.size + hard_row.size)])
    return np.concatenate([pos_row, neg_row, hard_row]), np.concatenate([pos_recipe, neg_recipe, hard_recipe]), labels


def logistic_loss(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, scores) - labels * scores


class Ranker:
    def __init__(self, n_context: int, n_recipe_tokens: int):
        self.bias = 0.0
        self.u = np.zeros(n_recipe_tokens)
        self.W = np.zeros((n_context, n_recipe_tokens))

    def catalogue_scores(self, X: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """Scores of every (row, recipe): rows x catalogue."""
        return self.bias + (X @ self.W) @ Z.T + (Z @ self.u)[None, :]

    def epoch(self, X, Z, rows, recipes, labels, order, recipe: dict[str, Any]) -> float:
        """One pass of mini-batch gradient descent; returns the mean loss seen during the pass."""
        lr, l2, batch = recipe["learning_rate"], recipe["l2"], recipe["batch_size"]
        total = 0.0
        for start in range(0, order.size, batch):
            take = order[start : start + batch]
            Xb, Zb, yb = X[rows[take]], Z[recipes[take]], labels[take]
            scores = self.bias + Zb @ self.u + np.einsum("ij,ij->i", Xb @ self.W, Zb)
            total += float(logistic_loss(scores, yb).sum())
            g = (0.5 * (1.0 + np.tanh(0.5 * scores)) - yb) / take.size  # d mean-loss / d score
            gz = Zb * g[:, None]
            self.W -= lr * (Xb.T @ gz + l2 * self.W)
            self.u -= lr * (gz.sum(axis=0) + l2 * self.u)
            self.bias -= lr * float(g.sum())
        return total / order.size


def round8(values) -> Any:
    """8 significant digits, -0 as 0: byte-stable JSON."""
    if isinstance(values, np.ndarray):
        return [round8(v) for v in values]
    return float(f"{float(values):.8g}") + 0.0


def save_mlflow_model(output: str, weights: dict[str, Any], example: list[dict[str, str]]) -> None:
    """<output>/model as an MLflow pyfunc model whose artifacts are model.json, tokenizer.json and config.json
    (a registered version downloads only model/, so it carries all three), with model.json also at model/model.json,
    where the TypeScript runtime reads it. Requirements are pinned to this Python's versions, never inferred."""
    import mlflow
    import pandas as pd
    import ranker_pyfunc
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    path = os.path.join(output, "model")
    shutil.rmtree(path, ignore_errors=True)  # save_model refuses a non-empty folder (a rerun into the same --output)
    with tempfile.TemporaryDirectory() as staging:
        weights_file = os.path.join(staging, "model.json")
        write_json(weights_file, weights)
        mlflow.pyfunc.save_model(
            path=path,
            python_model=ranker_pyfunc.__file__,
            artifacts={
                "model": weights_file,
                "tokenizer": os.path.join(output, "tokenizer", "tokenizer.json"),
                "config": os.path.join(output, "config", "config.json"),
            },
            signature=ModelSignature(
                inputs=Schema([ColSpec("string", c) for c in ranker_pyfunc.INPUT_COLUMNS]),
                outputs=Schema([ColSpec("double", c) for c in ranker_pyfunc.OUTPUT_COLUMNS]),
            ),
            input_example=pd.DataFrame(example, columns=list(ranker_pyfunc.INPUT_COLUMNS)),
            pip_requirements=[f"mlflow=={mlflow.__version__}", f"numpy=={np.__version__}", f"pandas=={pd.__version__}"],
            metadata={"format": FORMAT},
        )
        shutil.copyfile(weights_file, os.path.join(path, "model.json"))


def main() -> None:
    args = job_arguments(__doc__.splitlines()[0])
    recipe = load_recipe(args.recipe, RECIPE_FIELDS)
    run_id, run_params = attach_run()
    import mlflow

    started = time.perf_counter()
    data = Data(args.dataset, tuple(recipe["drop_feature_prefixes"]))
    n_recipes = len(data.recipe_ids)
    log(
        f"dataset {args.dataset}: rows {data.row_counts}, {n_recipes} recipes, vocabulary "
        f"{len(data.context_vocab)} context x {len(data.recipe_vocab)} recipe tokens ({time.perf_counter() - started:.1f} s)"
    )
    rng = np.random.default_rng(recipe["seed"])
    val_rows, val_recipes, val_labels = pairs(
        np.random.default_rng([recipe["seed"], 1]), data.positives["validation"], recipe["negatives_per_positive"], n_recipes, data.edited_away["validation"], recipe["edited_away_weight"]
    )
    model = Ranker(len(data.context_vocab), len(data.recipe_vocab))

    with mlflow.start_run(run_id=run_id):
        log_params_once(run_params, {k: recipe[k] for k in ("learning_rate", "batch_size", "epochs", "seed", "l2", "negatives_per_positive", "edited_away_weight", "drop_feature_prefixes", "recipe_id")})
        metrics: dict[str, float] = {}
        for epoch in range(1, recipe["epochs"] + 1):
            rows, recipes, labels = pairs(rng, data.positives["train"], recipe["negatives_per_positive"], n_recipes, data.edited_away["train"], recipe["edited_away_weight"])
            order = rng.permutation(rows.size)
            metrics["training_loss"] = model.epoch(data.X["train"], data.Z, rows, recipes, labels, order, recipe)
            val_scores = model.catalogue_scores(data.X["validation"], data.Z)
            metrics["validation_loss"] = float(logistic_loss(val_scores[val_rows, val_recipes], val_labels).mean())
            if not all(math.isfinite(v) for v in metrics.values()):
                raise JobError(f"training diverged at epoch {epoch} (loss is not finite); lower learning_rate")
            mlflow.log_metrics(metrics, step=epoch)
            log(f"epoch {epoch}/{recipe['epochs']}: training_loss {metrics['training_loss']:.5f}, validation_loss {metrics['validation_loss']:.5f}, {rows.size} pairs")

        accepted = np.zeros(val_scores.shape, dtype=bool)
        accepted[data.positives["validation"]] = True
        top = np.argsort(-val_scores, axis=1, kind="stable")[:, :TOP_K]
        has_positive = accepted.any(axis=1)
        hits = np.take_along_axis(accepted, top, axis=1).sum(axis=1)
        metrics["eval_score"] = float((hits[has_positive] / accepted.sum(axis=1)[has_positive]).mean())
        mlflow.log_metric("eval_score", metrics["eval_score"])
        log(f"eval_score (recall@{TOP_K} on {int(has_positive.sum())} validation rows) {metrics['eval_score']:.4f}; random ranking expects {min(1.0, TOP_K / n_recipes):.4f}")

        write_json(
            os.path.join(args.output, "tokenizer", "tokenizer.json"),
            {"format": FORMAT, "codec_version": data.codec_version, "context_tokens": data.context_vocab, "recipe_tokens": data.recipe_vocab},
        )
        write_json(
            os.path.join(args.output, "config", "config.json"),
            {
                "format": FORMAT,
                "recipe": recipe,
                "dataset": {"location": args.dataset, "version": run_params.get("dataset_version")},
                "rows": data.row_counts,
                "positives": {s: int(p[0].size) for s, p in data.positives.items()},
                "catalogue_recipes": n_recipes,
                "score": SCORE,
                "negatives": f"{recipe['negatives_per_positive']} per positive, uniform over the catalogue minus the row's accepted recipes, redrawn every epoch",
                "eval_score": EVAL_SCORE,
                "metrics": {k: round8(v) for k, v in metrics.items()},
            },
        )
        save_mlflow_model(
            args.output,
            {"format": FORMAT, "bias": round8(model.bias), "recipe_token_bias": round8(model.u), "weights": round8(model.W), "shape": list(model.W.shape)},
            data.example,
        )
        for folder in ("model", "tokenizer", "config"):
            mlflow.log_artifacts(os.path.join(args.output, folder), artifact_path=folder)
    log(f"done in {time.perf_counter() - started:.1f} s; artifacts model/ (an MLflow model), tokenizer/, config/ logged to run {run_id}")


if __name__ == "__main__":
    run_job("planner_ranker", main)
