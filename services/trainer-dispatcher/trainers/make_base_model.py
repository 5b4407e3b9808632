"""Builds a randomly initialised Llama base model from a dataset version's own text, with no model hub and no network:
a byte-level BPE tokenizer trained on the dataset's prompts and accepted plans, a chat template, and weights of the
chosen size. lora_sft.py fine-tunes it like any Hugging Face base model (recipe field base_model = the output folder).
The CPU test uses --size tiny (about 2M parameters); the GPU check uses --size check (about 0.8B).

usage: make_base_model.py --dataset DIR --out DIR [--size tiny|check] [--seed 0]"""

import argparse
import json
import os
import time

from planner_dataset import read_columns

SPECIAL_TOKENS = ["<|pad|>", "<|bos|>", "<|eos|>", "<|user|>", "<|assistant|>"]
# Role markers, then the content; the generation prompt ends with the assistant marker.
CHAT_TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
SIZES = {
    "tiny": {"vocab_size": 2048, "hidden_size": 128, "intermediate_size": 384, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2},
    "check": {"vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 14, "num_attention_heads": 16, "num_key_value_heads": 8},
}


def train_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<|pad|>", bos_token="<|bos|>", eos_token="<|eos|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, help="dataset version folder (a local path or s3://bucket/prefix/)")
    parser.add_argument("--out", required=True, help="folder for the model and its tokenizer")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()
    started = time.perf_counter()
    rows = read_columns(args.dataset, "training.parquet", ["split", "prompt", "accepted_plan_json"])
    texts = [t for s, p, a in zip(rows["split"], rows["prompt"], rows["accepted_plan_json"], strict=True) if s == "train" for t in (p, a)]
    size = SIZES[args.size]
    tokenizer = train_tokenizer(texts, size["vocab_size"])
    transformers.set_seed(args.seed)
    config = transformers.LlamaConfig(
        **{k: v for k, v in size.items() if k != "vocab_size"},
        vocab_size=len(tokenizer),
        max_position_embeddings=8192,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    # Initialised on the GPU when there is one: 0.8B parameters take minutes to initialise on a CPU.
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = transformers.LlamaForCausalLM(config).to(torch.bfloat16 if args.size == "check" else torch.float32)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    os.makedirs(args.out, exist_ok=True)
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    parameters = sum(p.numel() for p in model.parameters())
    summary = {"size": args.size, "parameters": parameters, "vocab_size": len(tokenizer), "seconds": round(time.perf_counter() - started, 1)}
    with open(os.path.join(args.out, "base_model.json"), "w", encoding="utf-8") as f:
        json.dump(summary | {"dataset": args.dataset, "seed": args.seed}, f, indent=1)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
