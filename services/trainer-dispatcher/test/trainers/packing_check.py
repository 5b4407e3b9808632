"""Checks lora_packing.py: best fit on a hand-computed case, and that a packed sequence gives each example exactly the
logits and loss it gets alone (no attention and no loss across examples), through the same model call lora_sft.py
makes. Prints one JSON line with the figures; exits non-zero on the first failed check.

usage: packing_check.py --base-model DIR (PYTHONPATH holds trainers/)"""

import argparse
import json

import torch
import transformers

from lora_packing import label_tokens, micro_batches, pack, packed_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-model", required=True)
    args = parser.parse_args()

    # Best fit, in order, capacity 8: 5 opens a sequence (3 left); 4 opens another (4 left); 3 goes to the fuller one
    # (3 left, not 4); the next 3 fits only the second; 2 fits neither (0 and 1 left) and opens a third.
    assert pack([5, 4, 3, 3, 2], [0, 1, 2, 3, 4], 8) == [[0, 2], [1, 3], [4]], pack([5, 4, 3, 3, 2], [0, 1, 2, 3, 4], 8)
    assert pack([5, 4, 3, 3, 2], [4, 3, 2, 1, 0], 8) == [[4, 3, 2], [1], [0]]
    try:
        pack([9], [0], 8)
        raise AssertionError("an example longer than the sequence must be refused")
    except ValueError:
        pass

    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(args.base_model, attn_implementation="sdpa").eval()
    model.config.use_cache = False  # as lora_sft.py trains: with a cache, transformers does not look for packing
    vocab = model.config.vocab_size
    # Two examples: prompt tokens (label -100) then target tokens, as lora_sft.encode makes them.
    examples = []
    for prompt_length, target_length in ((7, 5), (4, 9)):
        ids = torch.randint(5, vocab, (prompt_length + target_length,)).tolist()
        examples.append((ids, [-100] * prompt_length + ids[prompt_length:]))

    rows = list(packed_rows(examples, [[0, 1]]))
    (batch, real_tokens), = list(micro_batches(rows + [([1, 2], [0, 1], [-100, -100])], 2, pad_id=0))
    assert real_tokens == 12 + 13 + 2, real_tokens
    assert batch["position_ids"][0] == list(range(12)) + list(range(13)), "positions restart at each example"
    assert batch["position_ids"][1] == [0, 1] + list(range(23)), "padding is a segment of its own"
    assert label_tokens(batch) == 5 + 9, label_tokens(batch)

    with torch.no_grad():
        packed = model(input_ids=torch.tensor(batch["input_ids"][:1]), position_ids=torch.tensor(batch["position_ids"][:1]))
        alone = [model(input_ids=torch.tensor([ids])).logits[0] for ids, _ in examples]
        logit_gap = max(
            (packed.logits[0, :12] - alone[0]).abs().max().item(),
            (packed.logits[0, 12:] - alone[1]).abs().max().item(),
        )
        # The same pair unpacked (one causal sequence, positions running on): the second example sees the first.
        joined = model(input_ids=torch.tensor(batch["input_ids"][:1])).logits[0]
        leak = (joined[12:] - alone[1]).abs().max().item()

        one = {"input_ids": torch.tensor(batch["input_ids"][:1]), "position_ids": torch.tensor(batch["position_ids"][:1]),
               "labels": torch.tensor(batch["labels"][:1])}
        packed_loss = model(**one).loss.item()
        losses = [model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels])).loss.item() for ids, labels in examples]
        expected_loss = (losses[0] * 5 + losses[1] * 9) / 14  # token-weighted: 5 and 9 target tokens
    assert logit_gap < 1e-4, f"packed logits differ from the examples' own by {logit_gap}"
    assert leak > 1e-3, f"the unpacked control shows no cross-example attention ({leak}): the check would prove nothing"
    assert abs(packed_loss - expected_loss) < 1e-4, f"packed loss {packed_loss} vs examples' token-weighted loss {expected_loss}"
    print(json.dumps({"logit_gap": logit_gap, "unpacked_leak": leak, "packed_loss": packed_loss, "expected_loss": expected_loss}))


if __name__ == "__main__":
    main()
