"""LoRA / QLoRA supervised fine-tuning of an LLM planner on prompt -> accepted_plan_json pairs.
Runs on a CUDA GPU (requirements-gpu.txt) or, slowly, on CPU (requirements-lora-cpu.txt); the recipe is checked before
torch is imported. Examples are packed into sequences of pack_length tokens (lora_packing.py); the micro-batch and
gradient checkpointing are chosen from a measured step and the free GPU memory unless the recipe sets them, and
gradient accumulation keeps batch_size examples per optimizer step on average."""

import math
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

import numpy as np

from lora_packing import label_tokens, micro_batches, pack, packed_rows
from planner_dataset import read_columns
from training_contract import (
    REQUIRED,
    JobError,
    attach_run,
    flag,
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
    "batch_size": (integer(1), REQUIRED),  # examples per optimizer step, on average
    "epochs": (integer(1), REQUIRED),
    "seed": (integer(0), 0),
    "max_length": (integer(16), 2048),  # longer examples (prompt + plan tokens) are skipped
    "eval_rows": (integer(1), 32),  # validation rows whose plan is generated for eval_score
    # Throughput: None means chosen at run time.
    "pack_length": (integer(16), None),  # tokens per packed sequence; default max_length
    "micro_batch_size": (integer(1), None),  # packed sequences per forward pass; default from a measured step
    "gradient_checkpointing": (flag, None),  # default: only when one packed sequence does not fit otherwise
    "attention": (one_of("auto", "flash_attention_2", "sdpa", "eager"), "auto"),
    "max_train_rows": (integer(1), None),  # the first N train rows only (short checks)
}
LOGGED = ("learning_rate", "batch_size", "epochs", "seed", "recipe_id", "base_model", "quantization", "lora_r", "lora_alpha",
          "lora_dropout", "target_modules", "max_length", "eval_rows", "max_train_rows")
EVAL_SCORE = ("mean over the first eval_rows validation rows of the share of the row's distinct accepted recipes that the "
              "greedily generated plan contains (an unparsable plan scores 0)")
MAX_MICRO_BATCH = 64
GIB = 2**30


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
        raise JobError(f"missing Python package '{e.name}': lora_sft needs services/trainer-dispatcher/trainers/requirements-gpu.txt "
                       "(or requirements-lora-cpu.txt on a machine without a GPU)") from e
    if quantization == "4bit" and not torch.cuda.is_available():
        raise JobError("quantization 4bit (QLoRA) needs a CUDA GPU and none is visible")
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers, peft


def encode(tokenizer, prompt: str, target: str) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt): the prompt as lora_pyfunc formats it, then the plan and EOS."""
    from lora_pyfunc import prompt_ids

    prefix = prompt_ids(tokenizer, prompt)
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return prefix + target_ids, [-100] * len(prefix) + target_ids


def plan_recall(generated: str, accepted_plan_json: str) -> float:
    import json

    accepted = {m["recipe_id"] for d in json.loads(accepted_plan_json)["days"] for m in d["meals"]}
    try:
        plan = json.loads(generated.strip())
        chosen = {m["recipe_id"] for d in plan["days"] for m in d["meals"]}
    except (json.JSONDecodeError, KeyError, TypeError):
        return 0.0
    return len(chosen & accepted) / len(accepted) if accepted else 0.0


def attention_implementation(requested: str, cuda: bool) -> str:
    """The fastest attention that handles packed sequences: flash attention's variable-length kernel when the
    flash_attn package is there, else PyTorch's scaled_dot_product_attention with a block-diagonal mask."""
    if requested != "auto":
        return requested
    import importlib.util

    return "flash_attention_2" if cuda and importlib.util.find_spec("flash_attn") else "sdpa"


@dataclass
class Plan:
    """How a step is run: packed sequences per forward pass, passes per optimizer step, checkpointing."""

    pack_length: int
    micro_batch_size: int
    accumulation: int
    checkpointing: bool
    measured: str  # how the micro-batch was chosen, for the log

    def describe(self) -> str:
        return (f"micro_batch_size {self.micro_batch_size}, pack_length {self.pack_length}, "
                f"gradient_checkpointing {'true' if self.checkpointing else 'false'}")


def out_of_memory(plan: Plan, quantized: bool) -> str:
    advice = "lower micro_batch_size or pack_length/max_length, or set gradient_checkpointing true"
    return f"out of memory with {plan.describe()}: {advice}" + ("" if quantized else ', or set quantization "4bit"')


def main() -> None:
    args = job_arguments(__doc__.splitlines()[0])
    recipe = load_recipe(args.recipe, RECIPE_FIELDS)
    torch, transformers, peft = import_stack(recipe["quantization"])
    run_id, run_params = attach_run()
    import lora_pyfunc
    import mlflow

    started = time.perf_counter()
    rows = read_columns(args.dataset, "training.parquet", ["split", "prompt", "accepted_plan_json"])
    transformers.set_seed(recipe["seed"])
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    tokenizer = transformers.AutoTokenizer.from_pretrained(recipe["base_model"])
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token

    pack_length = recipe["pack_length"] or recipe["max_length"]
    examples: dict[str, list[tuple[list[int], list[int]]]] = {"train": [], "validation": []}
    too_long = 0
    for split, prompt, plan in zip(rows["split"], rows["prompt"], rows["accepted_plan_json"], strict=True):
        if split not in examples or (split == "train" and recipe["max_train_rows"] and len(examples["train"]) >= recipe["max_train_rows"]):
            continue
        ids, labels = encode(tokenizer, prompt, plan)
        if len(ids) > min(recipe["max_length"], pack_length):
            too_long += 1
            continue
        examples[split].append((ids, labels))
    for split, items in examples.items():
        if not items:
            raise JobError(f"no {split} row fits max_length {recipe['max_length']} and pack_length {pack_length} ({too_long} longer rows were skipped)")
    log(f"{len(examples['train'])} train and {len(examples['validation'])} validation pairs from {args.dataset}; {too_long} longer than max_length skipped")

    quantized = recipe["quantization"] == "4bit"
    dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float32
    attention = attention_implementation(recipe["attention"], cuda)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        recipe["base_model"],
        dtype=dtype,
        attn_implementation=attention,
        device_map={"": 0} if cuda else None,
        quantization_config=transformers.BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                                            bnb_4bit_compute_dtype=dtype) if quantized else None,
    )
    if quantized:
        model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    model.config.use_cache = False
    model = peft.get_peft_model(model, peft.LoraConfig(r=recipe["lora_r"], lora_alpha=recipe["lora_alpha"], lora_dropout=recipe["lora_dropout"],
                                                       target_modules=recipe["target_modules"], task_type="CAUSAL_LM"))
    trainable, total = model.get_nb_trainable_parameters()
    log(f"{recipe['base_model']} on {device} ({dtype}, attention {attention}), quantization {recipe['quantization']}: {trainable:,} of {total:,} parameters trainable")

    def tensors(batch: dict[str, list[list[int]]]) -> dict[str, object]:
        return {name: torch.tensor(values, device=device) for name, values in batch.items()}

    checkpointing_on = [False]

    def set_checkpointing(on: bool) -> None:
        if on and not checkpointing_on[0]:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        elif checkpointing_on[0] and not on:
            model.gradient_checkpointing_disable()
        checkpointing_on[0] = on

    def step_bytes(batch: dict[str, object]) -> int:
        """Peak GPU memory of one forward and backward pass above what is already allocated."""
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        with torch.autocast(device_type=device, dtype=dtype, enabled=dtype != torch.float32):
            model(**batch).loss.backward()
        model.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before

    rng = np.random.default_rng(recipe["seed"])
    train_lengths = [len(ids) for ids, _ in examples["train"]]
    first_groups = pack(train_lengths, rng.permutation(len(train_lengths)).tolist(), pack_length)
    examples_per_sequence = len(train_lengths) / len(first_groups)
    sequences_per_step = max(1, round(recipe["batch_size"] / examples_per_sequence))

    def plan_step() -> Plan:
        """The recipe's micro_batch_size and gradient_checkpointing where set; otherwise, on a GPU, the largest
        micro-batch that a measured pass of one full packed sequence says fits in 85% of the free memory, with
        checkpointing only when not even one sequence fits without it. On CPU: the whole step in one pass."""
        chosen, checkpointing = recipe["micro_batch_size"], recipe["gradient_checkpointing"]
        measured = "recipe"
        if chosen is None and cuda:
            longest = max(range(len(first_groups)), key=lambda g: sum(train_lengths[i] for i in first_groups[g]))
            probe_rows = list(packed_rows(examples["train"], [first_groups[longest]]))
            probe = tensors(next(micro_batches(probe_rows, 1, tokenizer.pad_token_id))[0])
            for on in ([checkpointing] if checkpointing is not None else [False, True]):
                set_checkpointing(on)
                try:
                    per_sequence = step_bytes(probe)
                except torch.cuda.OutOfMemoryError:
                    model.zero_grad(set_to_none=True)
                    torch.cuda.empty_cache()
                    continue
                free = torch.cuda.mem_get_info()[0] + torch.cuda.memory_reserved() - torch.cuda.memory_allocated()
                fits = int(0.85 * free // max(1, per_sequence))
                if fits >= 1:
                    chosen, checkpointing = min(fits, MAX_MICRO_BATCH, sequences_per_step), on
                    measured = f"one sequence {per_sequence / GIB:.2f} GiB, {free / GIB:.1f} GiB free"
                    break
            if chosen is None:
                raise JobError(out_of_memory(Plan(pack_length, 1, 1, True, ""), quantized))
        if chosen is None:
            chosen, measured = sequences_per_step, "no GPU: the whole step in one pass"
        checkpointing = bool(checkpointing)
        set_checkpointing(checkpointing)
        return Plan(pack_length, chosen, max(1, math.ceil(sequences_per_step / chosen)), checkpointing, measured)

    plan = plan_step()
    steps_per_epoch = math.ceil(len(first_groups) / (plan.micro_batch_size * plan.accumulation))
    steps = recipe["epochs"] * steps_per_epoch
    log(f"{len(first_groups)} packed sequences per epoch ({examples_per_sequence:.2f} examples each); {plan.describe()} "
        f"({plan.measured}), {plan.accumulation} passes per optimizer step, {steps} steps")

    warmup = max(1, steps // 20)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=recipe["learning_rate"])
    # Linear warm-up over the first 5% of steps, then linear decay to 0.
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))

    def run_epoch(groups: list[list[int]], items, train: bool) -> tuple[float, int]:
        """Token-weighted mean loss over the epoch, and the tokens (padding excluded) it went through."""
        batches = list(micro_batches(list(packed_rows(items, groups)), plan.micro_batch_size, tokenizer.pad_token_id))
        loss_sum, loss_tokens, seen = 0.0, 0, 0
        for first in range(0, len(batches), plan.accumulation):
            window = batches[first : first + plan.accumulation]
            window_tokens = sum(label_tokens(b) for b, _ in window)
            for batch, real_tokens in window:
                counted = label_tokens(batch)
                seen += real_tokens
                if counted == 0:
                    continue
                with torch.autocast(device_type=device, dtype=dtype, enabled=dtype != torch.float32):
                    loss = model(**tensors(batch)).loss
                if train:
                    (loss * (counted / window_tokens)).backward()
                loss_sum, loss_tokens = loss_sum + float(loss.detach()) * counted, loss_tokens + counted
            if train:
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
        return loss_sum / max(1, loss_tokens), seen

    validation_groups = pack([len(ids) for ids, _ in examples["validation"]], range(len(examples["validation"])), pack_length)
    longest_plan = max(sum(label != -100 for label in labels) for _, labels in examples["train"])
    with mlflow.start_run(run_id=run_id):
        log_params_once(run_params, {k: recipe[k] for k in LOGGED} | {
            "pack_length": plan.pack_length, "micro_batch_size": plan.micro_batch_size, "gradient_accumulation_steps": plan.accumulation,
            "gradient_checkpointing": plan.checkpointing, "attention": attention,
        })
        metrics: dict[str, float] = {}
        train_seconds, train_tokens = 0.0, 0
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        try:
            for epoch in range(1, recipe["epochs"] + 1):
                groups = first_groups if epoch == 1 else pack(train_lengths, rng.permutation(len(train_lengths)).tolist(), pack_length)
                model.train()
                if cuda:
                    torch.cuda.synchronize()
                epoch_started = time.perf_counter()
                metrics["training_loss"], tokens = run_epoch(groups, examples["train"], train=True)
                if cuda:
                    torch.cuda.synchronize()
                epoch_seconds = time.perf_counter() - epoch_started
                train_seconds, train_tokens = train_seconds + epoch_seconds, train_tokens + tokens
                model.eval()
                with torch.no_grad():
                    metrics["validation_loss"], _ = run_epoch(validation_groups, examples["validation"], train=False)
                if not all(math.isfinite(v) for v in metrics.values()):
                    raise JobError(f"training diverged at epoch {epoch} (loss is not finite); lower learning_rate")
                mlflow.log_metrics(metrics, step=epoch)
                log(f"epoch {epoch}/{recipe['epochs']}: training_loss {metrics['training_loss']:.4f}, validation_loss "
                    f"{metrics['validation_loss']:.4f}, {tokens / epoch_seconds:,.0f} train tokens/s")
            # Throughput over all epochs (padding not counted, validation not timed), logged once.
            speed = {"train_tokens_per_second": train_tokens / train_seconds}
            if cuda:
                speed["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated() / GIB
            mlflow.log_metrics(speed)
            metrics |= speed

            validation = [(p, t) for s, p, t in zip(rows["split"], rows["prompt"], rows["accepted_plan_json"], strict=True) if s == "validation"]
            validation = validation[: recipe["eval_rows"]]
            model.config.use_cache = True
            generated = lora_pyfunc.generate(model, tokenizer, [p for p, _ in validation], longest_plan + 32, recipe["batch_size"])
        except (torch.cuda.OutOfMemoryError, MemoryError, RuntimeError) as e:
            # PyTorch's CPU allocator reports running out as a RuntimeError: tell it by its message.
            if isinstance(e, RuntimeError) and not isinstance(e, torch.cuda.OutOfMemoryError) and "can't allocate memory" not in str(e):
                raise
            raise JobError(out_of_memory(plan, quantized)) from e
        recalls = [plan_recall(text_out, target) for text_out, (_, target) in zip(generated, validation, strict=True)]
        metrics["eval_score"] = sum(recalls) / len(recalls)
        mlflow.log_metric("eval_score", metrics["eval_score"])
        log(f"eval_score (accepted-meal recall of generated plans, {len(recalls)} validation rows) {metrics['eval_score']:.4f}")

        tokenizer.padding_side = "right"
        tokenizer.save_pretrained(os.path.join(args.output, "tokenizer"))
        write_json(os.path.join(args.output, "config", "config.json"), {
            "format": "lora-sft/2",
            "recipe": recipe,
            "dataset": {"location": args.dataset, "version": run_params.get("dataset_version")},
            "rows": {s: len(items) for s, items in examples.items()} | {"skipped_longer_than_max_length": too_long},
            "prompt_format": "the tokenizer's chat template with the row's prompt as the user turn; the target is accepted_plan_json then EOS",
            "training": {"pack_length": plan.pack_length, "micro_batch_size": plan.micro_batch_size, "gradient_accumulation_steps": plan.accumulation,
                         "gradient_checkpointing": plan.checkpointing, "attention": attention, "sequences_per_epoch": len(first_groups)},
            "generation": {"max_new_tokens": longest_plan + 32},
            "eval_score": EVAL_SCORE,
            "metrics": metrics,
        })
        save_mlflow_model(args.output, model, [p for p, _ in validation[:1]])
        for folder in ("model", "tokenizer", "config"):
            mlflow.log_artifacts(os.path.join(args.output, folder), artifact_path=folder)
    log(f"done in {time.perf_counter() - started:.1f} s; adapter (an MLflow pyfunc model), tokenizer and config logged to run {run_id}")


def save_mlflow_model(output: str, model, example_prompts: list[str]) -> None:
    """<output>/model as an MLflow pyfunc model (lora_pyfunc.py) whose artifacts are the PEFT adapter, the tokenizer and
    config.json. Requirements are pinned to this Python's versions, never inferred."""
    import lora_pyfunc
    import mlflow
    import pandas as pd
    import peft
    import torch
    import transformers
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    path = os.path.join(output, "model")
    shutil.rmtree(path, ignore_errors=True)  # save_model refuses a non-empty folder (a rerun into the same --output)
    with tempfile.TemporaryDirectory() as staging:
        adapter = os.path.join(staging, "adapter")
        model.save_pretrained(adapter)
        mlflow.pyfunc.save_model(
            path=path,
            python_model=lora_pyfunc.__file__,
            artifacts={"adapter": adapter, "tokenizer": os.path.join(output, "tokenizer"), "config": os.path.join(output, "config", "config.json")},
            signature=ModelSignature(
                inputs=Schema([ColSpec("string", c) for c in lora_pyfunc.INPUT_COLUMNS]),
                outputs=Schema([ColSpec("string", c) for c in lora_pyfunc.OUTPUT_COLUMNS]),
                params=ParamSchema([ParamSpec("max_new_tokens", "long", 0)]),
            ),
            input_example=pd.DataFrame({"prompt": example_prompts}) if example_prompts else None,
            pip_requirements=[f"mlflow=={mlflow.__version__}", f"pandas=={pd.__version__}", f"torch=={torch.__version__.split('+')[0]}",
                              f"transformers=={transformers.__version__}", f"peft=={peft.__version__}"],
            metadata={"format": "lora-sft/2"},
        )


if __name__ == "__main__":
    run_job("lora_sft", main)
