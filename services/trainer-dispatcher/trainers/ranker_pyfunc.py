"""The planner-ranker as an MLflow pyfunc model. It is saved as models-from-code: MLflow copies this file into the
model and runs it when the model is loaded, so it imports only what the model's requirements pin (mlflow, numpy,
pandas), never the trainer's modules.

Input: one row per (context, recipe) pair, in the dataset's own columns: `features_json` (the context tokens of a
training.parquet row, a JSON array of strings) and `tokens_json` (the tokens of a recipes.parquet row). Other columns
are ignored. Output, on the input's index: `score` (README.md's formula, the log-odds that the recipe is accepted) and
`probability` (its sigmoid). Scores are summed in the TypeScript runtime's order, so both give the same numbers."""

import json

import mlflow
import numpy as np
import pandas as pd

INPUT_COLUMNS = ("features_json", "tokens_json")
OUTPUT_COLUMNS = ("score", "probability")
# The pyfunc artifacts, each the trainer's file of that name: model.json, tokenizer.json, config.json.
ARTIFACTS = ("model", "tokenizer", "config")


def token_indices(vocabulary: dict[str, int], value: object, drop: tuple[str, ...], where: str) -> list[int]:
    """The distinct vocabulary indices of a JSON array of tokens, ascending; unknown and dropped tokens left out."""
    try:
        tokens = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        tokens = None
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise ValueError(f"{where} must be a JSON array of strings, got {str(value)[:60]!r}")
    return sorted({vocabulary[t] for t in tokens if t in vocabulary and not t.startswith(drop)})


class PlannerRanker(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        files = {}
        for name in ARTIFACTS:
            with open(context.artifacts[name], encoding="utf-8") as f:
                files[name] = json.load(f)
        model, tokenizer, config = files["model"], files["tokenizer"], files["config"]
        self.bias = float(model["bias"])
        self.recipe_token_bias = np.asarray(model["recipe_token_bias"], dtype=np.float64)
        self.weights = np.asarray(model["weights"], dtype=np.float64).reshape(model["shape"])
        self.context_tokens = {t: i for i, t in enumerate(tokenizer["context_tokens"])}
        self.recipe_tokens = {t: i for i, t in enumerate(tokenizer["recipe_tokens"])}
        self.drop = tuple(config["recipe"].get("drop_feature_prefixes", []))

    def context_row(self, context_indices: tuple[int, ...]) -> np.ndarray:
        """recipe_token_bias[r] + sum_{c in C} weights[c][r] for every recipe token r, added up in C's order."""
        row = self.recipe_token_bias.copy()
        for c in context_indices:
            row += self.weights[c]
        return row

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        rows: dict[tuple[int, ...], np.ndarray] = {}  # one context row per distinct context: pairs share it
        scores = np.empty(len(model_input))
        pairs = zip(model_input["features_json"], model_input["tokens_json"], strict=True)
        for n, (features, tokens) in enumerate(pairs):
            context_indices = tuple(token_indices(self.context_tokens, features, self.drop, f"row {n} features_json"))
            if context_indices not in rows:
                rows[context_indices] = self.context_row(context_indices)
            row, score = rows[context_indices], self.bias
            for r in token_indices(self.recipe_tokens, tokens, self.drop, f"row {n} tokens_json"):
                score += float(row[r])
            scores[n] = score
        return pd.DataFrame({"score": scores, "probability": 0.5 * (1.0 + np.tanh(0.5 * scores))}, index=model_input.index)


mlflow.models.set_model(PlannerRanker())
