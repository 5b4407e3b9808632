"""A lora_sft.py adapter as an MLflow pyfunc model. It is saved as models-from-code: MLflow copies this file into the
model and runs it when the model is loaded, so it imports only what the model's requirements pin (mlflow, pandas,
torch, transformers, peft), never the trainer's modules; lora_sft.py imports its prompt encoding from here, so
training and serving format a prompt the same way.

Input: a column `prompt` (the dataset's training.parquet column). Output, on the input's index: `plan_json`, the
greedily generated plan text (the trainer's eval_score parses it the same way). Param `max_new_tokens` (default: the
trainer's longest training plan plus 32). The base model is the recipe's `base_model` (a Hugging Face id, or a folder
that must exist where the model is loaded); PLANNER_BASE_MODEL overrides it, for a base kept elsewhere."""

import json
import os

import mlflow
import pandas as pd

INPUT_COLUMNS = ("prompt",)
OUTPUT_COLUMNS = ("plan_json",)
# The pyfunc artifacts: the PEFT adapter folder, the tokenizer folder and config.json, each as the trainer wrote them.
ARTIFACTS = ("adapter", "tokenizer", "config")


def prompt_ids(tokenizer, prompt: str) -> list[int]:
    """The token ids a plan is generated after: the chat template's user turn and generation prompt, or the prompt
    and a newline for a tokenizer without a template."""
    if tokenizer.chat_template:
        prefix = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
        return tokenizer(prefix, add_special_tokens=False)["input_ids"]
    return tokenizer(prompt + "\n")["input_ids"]


def generate(model, tokenizer, prompts: list[str], max_new_tokens: int, batch_size: int) -> list[str]:
    """Greedy plans for the prompts, batch_size at a time (left-padded)."""
    import torch

    tokenizer.padding_side = "left"
    device = next(model.parameters()).device
    plans: list[str] = []
    with torch.no_grad():
        for start in range(0, len(prompts), batch_size):
            inputs = tokenizer.pad({"input_ids": [prompt_ids(tokenizer, p) for p in prompts[start : start + batch_size]]}, return_tensors="pt").to(device)
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False, use_cache=True, pad_token_id=tokenizer.pad_token_id)
            plans += tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    return plans


class PlannerLora(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        import peft
        import torch
        import transformers

        with open(context.artifacts["config"], encoding="utf-8") as f:
            self.config = json.load(f)
        base = os.environ.get("PLANNER_BASE_MODEL") or self.config["recipe"]["base_model"]
        cuda = torch.cuda.is_available()
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(context.artifacts["tokenizer"])
        model = transformers.AutoModelForCausalLM.from_pretrained(
            base, dtype=torch.bfloat16 if cuda else torch.float32, device_map={"": 0} if cuda else None
        )
        self.model = peft.PeftModel.from_pretrained(model, context.artifacts["adapter"]).eval()

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        max_new_tokens = int((params or {}).get("max_new_tokens") or self.config["generation"]["max_new_tokens"])
        plans = generate(self.model, self.tokenizer, [str(p) for p in model_input["prompt"]], max_new_tokens, batch_size=8)
        return pd.DataFrame({"plan_json": plans}, index=model_input.index)


mlflow.models.set_model(PlannerLora())
