"""LoRA / QLoRA supervised fine-tuning of an LLM planner on prompt -> accepted_plan_json pairs.
Needs a GPU node with requirements-gpu.txt installed; the recipe is checked before torch is imported."""

import json
import math
import os
import time

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

RECIPE_FIELDS = {
    "recipe_id": (text, REQUIRED),
    "architecture": (text, REQUIRED),
    "backend": (text, "gpu"),
    "base_model": (text, REQUIRED),  # a Hugging Face model id or a local folder
    "quantization": (one_of("none", "4bit"), "none"),  # 4bit: QLoRA through bitsandbytes (CUDA only)
    "lora_r": (integer(1), REQUIRED),
    "lora_alpha": (number(0, exclusive=True), REQUIRED),
    "lora_dropout": (number(0, below=1), 0.05),
    "target_modules": (texts(allow_empty=False), REQUIRED),
    "learning_rate": (number(0, exclusive=True), REQUIRED),
    "batch_size": (integer(1), REQUIRED),
    "epochs": (integer(1), REQUIRED),
    "seed": (integer(0), 0),
    "max_length": (integer(16), 2048),
    "eval_rows": (integer(1), 32),  # validation rows whose plan is generated for eval_score
}
LOGGED = ("learning_rate", "batch_size", "epochs", "seed", "recipe_id", "base_model", "quantization", "lora_r", "lora_alpha",
          "lora_dropout", "target_modules", "max_length", "eval_rows")
EVAL_SCORE = ("mean over the first eval_rows validation rows of the share of the row's distinct accepted recipes that the "
              "greedily generated plan contains (an unparsable plan scores 0)")


def log(message: str) -> None:
    print(f"lora_sft: {message}", flush=True)


def import_stack(quantization: str):
    try:
        import peft
        import torch
        import transformers

        if quantization == "4bit":
            import bitsandbytes  # noqa: F401  (transformers loads it by name)
    except ImportError as e:
        raise JobError(f"missing Python package '{e.name}': lora_sft needs a GPU node with "
                       "services/trainer-dispatcher/trainers/requirements-gpu.txt installed") from e
    if quantization == "4bit" and not torch.cuda.is_available():
        raise JobError("quantization 4bit (QLoRA) needs a CUDA GPU and none is visible")
    return torch, transformers, peft


def encode(tokenizer, prompt: str, target: str | None) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt): the chat template's user turn, then the plan and EOS."""
    if tokenizer.chat_template:
        prefix = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
        prompt_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"]
    else:
        prompt_ids = tokenizer(prompt + "\n")["input_ids"]
    if target is None:
        return prompt_ids, []
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return prompt_ids + target_ids, [-100] * len(prompt_ids) + target_ids


def plan_recall(generated: str, accepted_plan_json: str) -> float:
    accepted = {m["recipe_id"] for d in json.loads(accepted_plan_json)["days"] for m in d["meals"]}
    try:
        plan = json.loads(generated.strip())
        chosen = {m["recipe_id"] for d in plan["days"] for m in d["meals"]}
    except (json.JSONDecodeError, KeyError, TypeError):
        return 0.0
    return len(chosen & accepted) / len(accepted) if accepted else 0.0


def main() -> None:
    args = job_arguments(__doc__.splitlines()[0])
    recipe = load_recipe(args.recipe, RECIPE_FIELDS)
    torch, transformers, peft = import_stack(recipe["quantization"])
    run_id, run_params = attach_run()
    import mlflow

    started = time.perf_counter()
    rows = read_columns(args.dataset, "training.parquet", ["split", "prompt", "accepted_plan_json"])
    transformers.set_seed(recipe["seed"])
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = transformers.AutoTokenizer.from_pretrained(recipe["base_model"])
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token

    examples: dict[str, list[tuple[list[int], list[int]]]] = {"train": [], "validation": []}
    too_long = 0
    for split, prompt, plan in zip(rows["split"], rows["prompt"], rows["accepted_plan_json"], strict=True):
        if split in examples:
            ids, labels = encode(tokenizer, prompt, plan)
            if len(ids) > recipe["max_length"]:
                too_long += 1
                continue
            examples[split].append((ids, labels))
    for split, items in examples.items():
        if not items:
            raise JobError(f"no {split} row fits max_length {recipe['max_length']} ({too_long} rows longer were skipped)")
    log(f"{len(examples['train'])} train and {len(examples['validation'])} validation pairs from {args.dataset}; {too_long} longer than max_length skipped")

    quantized = recipe["quantization"] == "4bit"
    dtype = torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    model = transformers.AutoModelForCausalLM.from_pretrained(
        recipe["base_model"],
        dtype=dtype,
        device_map={"": 0} if device == "cuda" else None,
        quantization_config=transformers.BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                                            bnb_4bit_compute_dtype=dtype) if quantized else None,
    )
    if quantized:
        model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    elif device == "cuda":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    model = peft.get_peft_model(model, peft.LoraConfig(r=recipe["lora_r"], lora_alpha=recipe["lora_alpha"], lora_dropout=recipe["lora_dropout"],
                                                       target_modules=recipe["target_modules"], task_type="CAUSAL_LM"))
    trainable, total = model.get_nb_trainable_parameters()
    log(f"{recipe['base_model']} on {device} ({dtype}), quantization {recipe['quantization']}: {trainable:,} of {total:,} parameters trainable")

    steps = recipe["epochs"] * math.ceil(len(examples["train"]) / recipe["batch_size"])
    warmup = max(1, steps // 20)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe["learning_rate"])
    # Linear warm-up over the first 5% of steps, then linear decay to 0.
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))

    def batches(items, order):
        for start in range(0, len(order), recipe["batch_size"]):
            chunk = [items[i] for i in order[start : start + recipe["batch_size"]]]
            width = max(len(ids) for ids, _ in chunk)

            def pad(seq: list[int], value: int) -> list[int]:
                return seq + [value] * (width - len(seq))

            yield {
                "input_ids": torch.tensor([pad(ids, tokenizer.pad_token_id) for ids, _ in chunk], device=device),
                "attention_mask": torch.tensor([pad([1] * len(ids), 0) for ids, _ in chunk], device=device),
                "labels": torch.tensor([pad(labels, -100) for _, labels in chunk], device=device),
            }

    def mean_loss(items, order, train: bool) -> float:
        total_loss, count = 0.0, 0
        for batch in batches(items, order):
            with torch.autocast(device_type=device, dtype=dtype, enabled=dtype != torch.float32):
                loss = model(**batch).loss
            if train:
                loss.backward()
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            total_loss, count = total_loss + float(loss.detach()), count + 1
        return total_loss / count

    rng = np.random.default_rng(recipe["seed"])
    longest_plan = max(sum(label != -100 for label in labels) for _, labels in examples["train"])

    with mlflow.start_run(run_id=run_id):
        log_params_once(run_params, {k: recipe[k] for k in LOGGED})
        metrics: dict[str, float] = {}
        for epoch in range(1, recipe["epochs"] + 1):
            model.train()
            metrics["training_loss"] = mean_loss(examples["train"], rng.permutation(len(examples["train"])), train=True)
            model.eval()
            with torch.no_grad():
                metrics["validation_loss"] = mean_loss(examples["validation"], np.arange(len(examples["validation"])), train=False)
            if not all(math.isfinite(v) for v in metrics.values()):
                raise JobError(f"training diverged at epoch {epoch} (loss is not finite); lower learning_rate")
            mlflow.log_metrics(metrics, step=epoch)
            log(f"epoch {epoch}/{recipe['epochs']}: training_loss {metrics['training_loss']:.4f}, validation_loss {metrics['validation_loss']:.4f}")

        validation = [(p, t) for s, p, t in zip(rows["split"], rows["prompt"], rows["accepted_plan_json"], strict=True) if s == "validation"]
        validation = validation[: recipe["eval_rows"]]
        tokenizer.padding_side = "left"
        recalls = []
        with torch.no_grad():
            for start in range(0, len(validation), recipe["batch_size"]):
                chunk = validation[start : start + recipe["batch_size"]]
                prompts = [encode(tokenizer, p, None)[0] for p, _ in chunk]
                inputs = tokenizer.pad({"input_ids": prompts}, return_tensors="pt").to(device)
                out = model.generate(**inputs, max_new_tokens=longest_plan + 32, do_sample=False, use_cache=True, pad_token_id=tokenizer.pad_token_id)
                texts_out = tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
                recalls += [plan_recall(generated, target) for generated, (_, target) in zip(texts_out, chunk, strict=True)]
        metrics["eval_score"] = sum(recalls) / len(recalls)
        mlflow.log_metric("eval_score", metrics["eval_score"])
        log(f"eval_score (accepted-meal recall of generated plans, {len(recalls)} validation rows) {metrics['eval_score']:.4f}")

        model.save_pretrained(os.path.join(args.output, "model"))
        tokenizer.padding_side = "right"
        tokenizer.save_pretrained(os.path.join(args.output, "tokenizer"))
        write_json(os.path.join(args.output, "config", "config.json"), {
            "format": "lora-sft/1",
            "recipe": recipe,
            "dataset": {"location": args.dataset, "version": run_params.get("dataset_version")},
            "rows": {s: len(items) for s, items in examples.items()} | {"skipped_longer_than_max_length": too_long},
            "prompt_format": "the tokenizer's chat template with the row's prompt as the user turn; the target is accepted_plan_json then EOS",
            "eval_score": EVAL_SCORE,
            "metrics": metrics,
        })
        for folder in ("model", "tokenizer", "config"):
            mlflow.log_artifacts(os.path.join(args.output, folder), artifact_path=folder)
    log(f"done in {time.perf_counter() - started:.1f} s; adapter, tokenizer and config logged to run {run_id}")


if __name__ == "__main__":
    run_job("lora_sft", main)
