"""Loads a lora_sft version with the official MLflow client, as a data scientist would, and generates a plan for the
first validation prompt of the dataset; for comparison, the base model alone generates for the same prompt. Run it
from outside the repository: the model must load with nothing of the trainers on sys.path.

usage: generate_with_mlflow.py --model-uri models:/<name>/<version> --dataset DIR --out FILE.json
(MLFLOW_TRACKING_URI names the server)."""

import argparse
import json

import mlflow
import pandas as pd
import pyarrow.parquet as pq
import torch
import transformers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    model = mlflow.pyfunc.load_model(args.model_uri)
    training = pq.read_table(f"{args.dataset}/training.parquet", columns=["split", "prompt"]).to_pandas()
    prompt = training[training["split"] == "validation"]["prompt"].iloc[0]
    plan = model.predict(pd.DataFrame({"prompt": [prompt]}), params={"max_new_tokens": 48})["plan_json"].iloc[0]

    # The same prompt through the base model without the adapter, formatted as the pyfunc formats it.
    lora = model.unwrap_python_model()
    base = transformers.AutoModelForCausalLM.from_pretrained(lora.config["recipe"]["base_model"]).eval()
    tokenizer = lora.tokenizer
    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        out = base.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=48, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    base_plan = tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)

    with open(mlflow.pyfunc.get_model_dependencies(args.model_uri), encoding="utf-8") as f:
        requirements = [line.strip() for line in f if line.strip()]
    result = {
        "inputs": model.metadata.get_input_schema().input_names(),
        "outputs": model.metadata.get_output_schema().input_names(),
        "params": [p.name for p in model.metadata.get_params_schema().params],
        "requirements": requirements,
        "example_is_a_dataset_prompt": bool(model.input_example["prompt"].isin(training["prompt"]).all()),
        "plan": plan,
        "base_plan": base_plan,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
