"""The LoRA trainer's GPU check: run on a GPU node, it builds a random local base model from a dataset (no model hub,
no network), runs lora_sft.py through the real job contract against a local MLflow store (LoRA on the full dataset, a
short QLoRA job, and a job sized to run out of memory), checks each run against the logging contract, loads the LoRA
adapter back with the official MLflow client and generates a plan, times a packed LoRA step outside the trainer on the
same base and data (the peer), and prints one summary. Exit 0 when every check held.

    python3 trainers/gpu_check.py [--dataset DIR | --rows 4600] [--wheels DIR] [--work DIR] [--size check|tiny]

The node needs torch, transformers, peft, pyarrow and numpy; mlflow-skinny and bitsandbytes (and pandas) come from
--wheels (made elsewhere with --download-wheels DIR [--with-pandas]: 56 MiB, 68 with pandas) when the node lacks them. Without a CUDA GPU
(--size tiny) it checks the same path on CPU and says that QLoRA and the out-of-memory job were not run."""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_DATASET = os.path.join(HERE, "..", "test", "trainers", "fixtures", "make_dataset.py")
MLFLOW_PIN = "mlflow-skinny==3.17.2"
PANDAS_PIN = "pandas==3.1.1"  # mlflow.pyfunc needs it; GPU images usually have it, so --download-wheels adds it only on request
BITSANDBYTES_PIN = "bitsandbytes==0.50.2"
# Dense bf16 peak (no sparsity) of the GPUs a check is likely to meet, for the approximate MFU.
PEAK_BF16_FLOPS = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12}
LORA = {"lora_r": 16, "lora_alpha": 32, "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], "learning_rate": 0.0002, "batch_size": 8,
        "epochs": 1, "seed": 7, "max_length": 2048, "eval_rows": 8}


def say(message: str) -> None:
    print(f"gpu_check: {message}", flush=True)


def run(command: list[str], env: dict[str, str] | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def download_wheels(folder: str, python_version: str, pandas: bool) -> None:
    """What a GPU node without mlflow lacks, for its platform; torch and the rest are the node's own."""
    os.makedirs(folder, exist_ok=True)
    # pip takes each platform tag literally: name every manylinux the node (glibc 2.28 or newer) runs.
    platforms = [arg for tag in ("manylinux2014", "manylinux_2_17", "manylinux_2_24", "manylinux_2_27", "manylinux_2_28")
                 for arg in ("--platform", f"{tag}_x86_64")]
    common = ["--only-binary=:all:", *platforms, "--python-version", python_version, "-d", folder]
    for args in ([MLFLOW_PIN, *([PANDAS_PIN] if pandas else [])], ["--no-deps", BITSANDBYTES_PIN]):
        done = run([sys.executable, "-m", "pip", "download", "--quiet", *common, *args], timeout=600)
        if done.returncode != 0:
            sys.exit(f"gpu_check: pip download {' '.join(args)} failed:\n{done.stderr}")
    # The node has these (torch's and transformers' own dependencies): no need to carry them.
    for name in os.listdir(folder):
        if name.split("-")[0].lower() in {"numpy", "typing_extensions", "packaging", "pyyaml", "requests", "urllib3", "idna", "certifi",
                                          "charset_normalizer", "filelock", "fsspec", "jinja2", "markupsafe"}:
            os.remove(os.path.join(folder, name))
    size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
    say(f"{len(os.listdir(folder))} wheels, {size / 2**20:.1f} MiB in {folder}")


def wheels_path(work: str, wheels: str | None) -> str | None:
    """A folder to put on PYTHONPATH with what --wheels adds (installed --no-deps: the folder is the whole addition),
    or None when this Python has everything. A folder rather than a virtualenv: the node's Python may be a
    virtualenv itself, whose packages a new virtualenv would not see."""
    import torch

    needed = ("mlflow", "pandas", "bitsandbytes") if torch.cuda.is_available() else ("mlflow", "pandas")  # QLoRA runs only on CUDA
    missing = [m for m in needed if run([sys.executable, "-c", f"import {m}"]).returncode != 0]
    if not missing:
        return None
    if not wheels:
        sys.exit(f"gpu_check: this Python lacks {', '.join(missing)}: pass --wheels DIR (made with --download-wheels DIR)")
    site = os.path.join(work, "site-packages")
    files = [os.path.join(wheels, n) for n in sorted(os.listdir(wheels)) if n.endswith(".whl")]
    done = run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--upgrade", "--target", site, *files])
    if done.returncode != 0:
        sys.exit(f"gpu_check: installing the wheels of {wheels} failed:\n{done.stderr}")
    return site


class Check:
    """Runs jobs the way the dispatcher does, against a local MLflow store, and records what held."""

    def __init__(self, env: dict[str, str], work: str, dataset: str, base: str, cuda: bool):
        self.python, self.work, self.dataset, self.base, self.cuda = sys.executable, work, dataset, base, cuda
        self.env = {**env, "MLFLOW_TRACKING_URI": f"file:{os.path.join(work, 'mlruns')}", "MLFLOW_ALLOW_FILE_STORE": "true"}
        self.failures: list[str] = []

    def expect(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
            say(f"FAILED: {what}")
        return ok

    def python_json(self, code: str, *args: str) -> dict:
        done = run([self.python, "-c", code, *args], env=self.env)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def job(self, name: str, recipe: dict) -> dict:
        """Creates the run as the dispatcher does, runs lora_sft.py attached to it, and returns what came of it."""
        recipe = {"recipe_id": f"gpu-check-{name}@1", "architecture": "local-llama+lora", "backend": "gpu", "base_model": self.base, **recipe}
        path = os.path.join(self.work, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(recipe, f)
        run_id = self.python_json(CREATE_RUN, json.dumps(recipe))["run_id"]
        started = time.perf_counter()
        done = run([self.python, os.path.join(HERE, "lora_sft.py"), "--dataset", self.dataset, "--recipe", path, "--output",
                    os.path.join(self.work, f"out-{name}")], env={**self.env, "MLFLOW_RUN_ID": run_id}, timeout=1200)
        with open(os.path.join(self.work, f"{name}.log"), "w", encoding="utf-8") as f:
            f.write(done.stdout + done.stderr)
        result = {"exit": done.returncode, "seconds": round(time.perf_counter() - started, 1), "run_id": run_id,
                  "stderr": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""}
        if done.returncode == 0:
            result |= self.python_json(READ_RUN, run_id)
        return result

    def contract(self, name: str, result: dict) -> None:
        if not self.expect(result["exit"] == 0, f"{name}: exit {result['exit']} ({result['stderr']})"):
            return
        missing_params = [p for p in CONTRACT_PARAMS if p not in result["params"]]
        self.expect(not missing_params, f"{name}: params missing: {missing_params}")
        self.expect(result["history"] == {"training_loss": [1], "validation_loss": [1]}, f"{name}: one loss point per epoch: {result['history']}")
        expected = ("eval_score", "train_tokens_per_second") + (("peak_gpu_memory_gib",) if self.cuda else ())
        missing_metrics = [m for m in expected if m not in result["metrics"]]
        self.expect(not missing_metrics, f"{name}: metrics missing: {missing_metrics}")
        missing_files = [a for a in CONTRACT_ARTIFACTS if a not in result["artifacts"]]
        self.expect(not missing_files, f"{name}: artifacts missing: {missing_files}")
        self.expect(result["status"] == "FINISHED", f"{name}: run status {result['status']}")


CONTRACT_PARAMS = ("learning_rate", "batch_size", "epochs", "dataset_version", "model_architecture", "lora_r", "quantization", "pack_length",
                   "micro_batch_size", "gradient_accumulation_steps", "gradient_checkpointing", "attention")
CONTRACT_ARTIFACTS = ("model/MLmodel", "model/lora_pyfunc.py", "model/artifacts/adapter/adapter_config.json", "tokenizer/tokenizer.json",
                      "config/config.json")
CREATE_RUN = """
import json, sys
from mlflow import MlflowClient
recipe = json.loads(sys.argv[1])
client = MlflowClient()
experiment = client.get_experiment_by_name("gpu-check")
experiment_id = experiment.experiment_id if experiment else client.create_experiment("gpu-check")
run = client.create_run(experiment_id, run_name=recipe["recipe_id"], tags={"task": "planner", "dataset_version": "gpu-check/1"})
for key, value in {"learning_rate": recipe["learning_rate"], "batch_size": recipe["batch_size"], "epochs": recipe["epochs"],
                   "dataset_version": "gpu-check/1", "model_architecture": recipe["architecture"]}.items():
    client.log_param(run.info.run_id, key, str(value))
print(json.dumps({"run_id": run.info.run_id}))
"""
READ_RUN = """
import json, sys
from mlflow import MlflowClient
client = MlflowClient()
run = client.get_run(sys.argv[1])
def listed(path):
    out = []
    for f in client.list_artifacts(run.info.run_id, path):
        out += listed(f.path) if f.is_dir else [f.path]
    return out
print(json.dumps({"status": run.info.status, "params": run.data.params, "metrics": run.data.metrics,
                  "history": {k: [m.step for m in client.get_metric_history(run.info.run_id, k)] for k in ("training_loss", "validation_loss")},
                  "artifacts": listed("model") + listed("tokenizer") + listed("config")}))
"""
LOAD_AND_GENERATE = """
import json, sys
import mlflow, pandas as pd, pyarrow.parquet as pq
from mlflow import MlflowClient
client = MlflowClient()
run_id, dataset = sys.argv[1], sys.argv[2]
client.create_registered_model("gpu-check-planner")
version = client.create_model_version("gpu-check-planner", f"runs:/{run_id}/model", run_id).version
model = mlflow.pyfunc.load_model(f"models:/gpu-check-planner/{version}")
rows = pq.read_table(f"{dataset}/training.parquet", columns=["split", "prompt"]).to_pylist()
prompt = next(r["prompt"] for r in rows if r["split"] == "validation")
plan = model.predict(pd.DataFrame({"prompt": [prompt]}))["plan_json"].iloc[0]
try:
    parsed = json.loads(plan)
    meals = sum(len(d["meals"]) for d in parsed["days"])
except Exception:
    meals = None
print(json.dumps({"version": version, "plan": plan[:300], "meals": meals}))
"""


def packed_step_probe(base: str, dataset: str, sequences: int, length: int, steps: int) -> dict:
    """The peer: a plain LoRA step (r 16, q/k/v/o) on `sequences` packed sequences of `length` tokens of the dataset,
    without gradient checkpointing, timed outside the trainer."""
    import torch
    import transformers

    import peft
    from lora_packing import micro_batches, pack, packed_rows
    from lora_sft import encode
    from planner_dataset import read_columns

    transformers.utils.logging.disable_progress_bar()
    cuda = torch.cuda.is_available()
    device, dtype = ("cuda", torch.bfloat16) if cuda else ("cpu", torch.float32)
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    rows = read_columns(dataset, "training.parquet", ["split", "prompt", "accepted_plan_json"])
    examples = [encode(tokenizer, p, a) for s, p, a in zip(rows["split"], rows["prompt"], rows["accepted_plan_json"], strict=True) if s == "train"]
    examples = [e for e in examples if len(e[0]) <= length]
    groups = pack([len(ids) for ids, _ in examples], range(len(examples)), length)[: sequences * (steps + 2)]
    model = transformers.AutoModelForCausalLM.from_pretrained(base, dtype=dtype, attn_implementation="sdpa", device_map={"": 0} if cuda else None)
    model.config.use_cache = False
    model = peft.get_peft_model(model, peft.LoraConfig(r=16, lora_alpha=32, target_modules=LORA["target_modules"], task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    batches = list(micro_batches(list(packed_rows(examples, groups)), sequences, tokenizer.pad_token_id))
    tokens, seconds = 0, 0.0
    for n, (batch, real) in enumerate(batches[: steps + 2]):
        if cuda:
            torch.cuda.synchronize()
        started = time.perf_counter()
        inputs = {k: torch.tensor(v, device=device) for k, v in batch.items()}
        with torch.autocast(device_type=device, dtype=dtype, enabled=cuda):
            model(**inputs).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        if n >= 2:  # the first two steps warm up kernels and the allocator
            tokens, seconds = tokens + real, seconds + time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else None
    del model, optimizer
    if cuda:
        torch.cuda.empty_cache()
    return {"tokens_per_second": round(tokens / seconds), "sequences": sequences, "length": length, "steps": max(0, len(batches) - 2),
            "peak_gpu_memory_gib": round(peak, 1) if peak else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="a dataset version folder (training.parquet); default: one generated here")
    parser.add_argument("--rows", type=int, default=4600, help="rows of the generated dataset (about 80%% train)")
    parser.add_argument("--work", default=os.path.join(os.getcwd(), "gpu-check-work"))
    parser.add_argument("--wheels", help="folder of wheels for what the node lacks (mlflow-skinny, pandas, bitsandbytes)")
    parser.add_argument("--size", choices=("check", "tiny"), default="check")
    parser.add_argument("--download-wheels", metavar="DIR", help="only fetch the wheels for a GPU node into DIR, and stop")
    parser.add_argument("--python-version", default="3.12", help="the GPU node's Python, for --download-wheels")
    parser.add_argument("--with-pandas", action="store_true", help="--download-wheels adds pandas (11.5 MiB), for a node without it")
    args = parser.parse_args()
    if args.download_wheels:
        download_wheels(args.download_wheels, args.python_version, args.with_pandas)
        return

    started = time.perf_counter()
    os.makedirs(args.work, exist_ok=True)
    site = wheels_path(args.work, args.wheels)
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (HERE, site, os.environ.get("PYTHONPATH")) if p)}
    sys.path[:0] = [p for p in (HERE, site) if p]
    import torch

    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(0) if cuda else "none"
    say(f"GPU {gpu}; torch {torch.__version__}; work in {args.work}")
    dataset = args.dataset
    if not dataset:
        dataset = os.path.join(args.work, "dataset")
        made = run([python, MAKE_DATASET, "--out", dataset, "--rows", str(args.rows), "--recipes", "120"])
        if made.returncode != 0:
            sys.exit(f"gpu_check: make_dataset.py failed:\n{made.stderr}")
    base = os.path.join(args.work, f"base-{args.size}")
    built = run([python, os.path.join(HERE, "make_base_model.py"), "--dataset", dataset, "--out", base, "--size", args.size], env=env)
    if built.returncode != 0:
        sys.exit(f"gpu_check: make_base_model.py failed:\n{built.stderr}")
    base_info = json.loads(built.stdout.strip().splitlines()[-1])
    say(f"base model: {base_info['parameters'] / 1e6:.0f}M parameters, vocabulary {base_info['vocab_size']} ({base_info['seconds']} s)")

    check = Check(env, args.work, dataset, base, cuda)
    summary: dict = {"gpu": gpu, "torch": torch.__version__, "base_parameters": base_info["parameters"], "dataset": dataset}
    summary["lora"] = check.job("lora", LORA)
    check.contract("lora", summary["lora"])
    if summary["lora"]["exit"] == 0:
        try:
            summary["generated"] = check.python_json(LOAD_AND_GENERATE, summary["lora"]["run_id"], dataset)
            check.expect(bool(summary["generated"]["plan"]), "the registered adapter generated an empty plan")
        except RuntimeError as e:
            check.expect(False, f"loading the registered adapter with mlflow.pyfunc failed: {e}")
    if cuda:
        summary["qlora"] = check.job("qlora", {**LORA, "quantization": "4bit", "max_train_rows": 400, "eval_rows": 4})
        check.contract("qlora", summary["qlora"])
        oom = check.job("oom", {**LORA, "max_train_rows": 400, "max_length": 8192, "pack_length": 8192, "micro_batch_size": 4096, "eval_rows": 1})
        summary["out_of_memory"] = {"exit": oom["exit"], "stderr": oom["stderr"]}
        check.expect(oom["exit"] == 1 and oom["stderr"].startswith("lora_sft: out of memory with micro_batch_size 4096")
                     and "gradient_checkpointing" in oom["stderr"], f"out of memory: exit {oom['exit']}, {oom['stderr']!r}")
    else:
        summary["qlora"] = summary["out_of_memory"] = "not run: no CUDA GPU"
    summary["packed_step_probe"] = packed_step_probe(base, dataset, sequences=16 if cuda else 2, length=2048 if cuda else 1024, steps=10 if cuda else 2)

    peak = next((v for k, v in PEAK_BF16_FLOPS.items() if k in gpu), None)
    for name in ("lora", "qlora", "packed_step_probe"):
        part = summary.get(name)
        if not isinstance(part, dict):
            continue
        speed = part.get("tokens_per_second") or part.get("metrics", {}).get("train_tokens_per_second")
        if speed:
            part["tokens_per_second"] = round(speed)
            # The 6N rule (6 FLOPs per parameter per token), as for full training; LoRA's backward skips the frozen
            # weights' gradients, so this overstates the work a little, the same way for the trainer and the probe.
            part["mfu_6n"] = round(6 * base_info["parameters"] * speed / peak, 3) if peak else None
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["failures"] = check.failures

    def figures(name: str) -> str:
        part = summary.get(name)
        if not isinstance(part, dict):
            return f"{name}: {part}"
        metrics = part.get("metrics", {})
        return (f"{name}: exit {part.get('exit', 0)}, {part.get('tokens_per_second', '?'):,} tokens/s, MFU {part.get('mfu_6n')}, peak "
                f"{metrics.get('peak_gpu_memory_gib', part.get('peak_gpu_memory_gib'))} GiB, training_loss {metrics.get('training_loss')}, "
                f"validation_loss {metrics.get('validation_loss')}, eval_score {metrics.get('eval_score')}, {part.get('seconds', '')} s")

    for name in ("lora", "qlora", "packed_step_probe"):
        say(figures(name))
    if isinstance(summary.get("generated"), dict):
        say(f"generated through mlflow.pyfunc (version {summary['generated']['version']}, {summary['generated']['meals']} meals): "
            f"{summary['generated']['plan'][:120]!r}")
    say(f"out of memory: {summary['out_of_memory']}")
    print(json.dumps(summary, default=str), flush=True)
    say(f"{'PASSED' if not check.failures else 'FAILED: ' + '; '.join(check.failures)} in {summary['seconds']} s")
    sys.exit(1 if check.failures else 0)


if __name__ == "__main__":
    main()
