"""Loads a planner-ranker version with the official MLflow client, as a data scientist would, and scores real
rows: the first --rows validation rows of training.parquet, each against the whole catalogue of recipes.parquet.
Run it from outside the repository: the model must load with nothing of the trainers on sys.path.

usage: score_with_mlflow.py --model-uri models:/<name>/<version> --dataset DIR --rows N --out FILE.json
(MLFLOW_TRACKING_URI names the server)."""

import argparse
import json

import mlflow
import pyarrow.parquet as pq


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    model = mlflow.pyfunc.load_model(args.model_uri)
    training = pq.read_table(f"{args.dataset}/training.parquet").to_pandas()
    recipes = pq.read_table(f"{args.dataset}/recipes.parquet", columns=["recipe_id", "tokens_json"]).to_pandas()
    rows = training[training["split"] == "validation"].head(args.rows)[["row_id", "features_json"]]
    # Every column of both files may go in: the model reads features_json and tokens_json and ignores the rest.
    pairs = rows.merge(recipes, how="cross")
    scored = model.predict(pairs)
    example = model.input_example
    with open(mlflow.pyfunc.get_model_dependencies(args.model_uri), encoding="utf-8") as f:
        requirements = [line.strip() for line in f if line.strip()]
    result = {
        "inputs": model.metadata.get_input_schema().input_names(),
        "outputs": model.metadata.get_output_schema().input_names(),
        "requirements": requirements,
        "example_from_dataset": bool(
            len(example) > 0 and example["features_json"].isin(training["features_json"]).all() and example["tokens_json"].isin(recipes["tokens_json"]).all()
        ),
        "example_scores": model.predict(example)["score"].tolist(),
        "pairs": [
            {"row_id": p.row_id, "recipe_id": p.recipe_id, "features_json": p.features_json, "tokens_json": p.tokens_json, "score": s, "probability": q}
            for p, s, q in zip(pairs.itertuples(), scored["score"], scored["probability"], strict=True)
        ],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
