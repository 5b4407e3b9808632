"""Packing supervised examples into fixed-length sequences for lora_sft.py, with no attention or loss across examples.

Each packed sequence is several examples laid end to end; its position ids restart at 0 at every example, which is
how transformers (5.x) recognises packing when no attention mask and no KV cache (use_cache False) is given: sdpa and eager attention get a
block-diagonal causal mask, flash attention its variable-length kernel. The loss cannot cross a boundary either: the
first token of every example is a prompt token, labelled -100, so no example is trained to predict the next one's
start. Padding after the last example is its own segment, labelled -100 throughout. Pure Python: no torch here."""

from collections.abc import Iterator, Sequence

Example = tuple[list[int], list[int]]  # token ids, labels (-100 where there is no loss)


def pack(lengths: Sequence[int], order: Sequence[int], capacity: int) -> list[list[int]]:
    """Example indices grouped into sequences of at most `capacity` tokens: best fit, taking examples in `order`
    (each goes to the fullest open sequence it fits in, else opens one). Every index appears exactly once."""
    bins: list[list[int]] = []
    room: list[int] = []
    for index in order:
        length = lengths[index]
        if length > capacity:
            raise ValueError(f"example {index} has {length} tokens, more than the sequence length {capacity}")
        best = -1
        for b, free in enumerate(room):
            if length <= free and (best < 0 or free < room[best]):
                best = b
        if best < 0:
            bins.append([index])
            room.append(capacity - length)
        else:
            bins[best].append(index)
            room[best] -= length
    return bins


def packed_rows(examples: Sequence[Example], groups: list[list[int]]) -> Iterator[tuple[list[int], list[int], list[int]]]:
    """(input_ids, position_ids, labels) of each group, unpadded."""
    for group in groups:
        ids: list[int] = []
        positions: list[int] = []
        labels: list[int] = []
        for index in group:
            example_ids, example_labels = examples[index]
            ids += example_ids
            positions += range(len(example_ids))
            labels += example_labels
        yield ids, positions, labels


def micro_batches(rows: list[tuple[list[int], list[int], list[int]]], size: int, pad_id: int) -> Iterator[tuple[dict[str, list[list[int]]], int]]:
    """Rows `size` at a time, padded to the longest row of the batch (padding continues as a segment of its own),
    with the number of tokens that are not padding."""
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        width = max(len(ids) for ids, _, _ in chunk)
        batch: dict[str, list[list[int]]] = {"input_ids": [], "position_ids": [], "labels": []}
        for ids, positions, labels in chunk:
            pad = width - len(ids)
            batch["input_ids"].append(ids + [pad_id] * pad)
            batch["position_ids"].append(positions + list(range(pad)))
            batch["labels"].append(labels + [-100] * pad)
        yield batch, sum(len(ids) for ids, _, _ in chunk)


def label_tokens(batch: dict[str, list[list[int]]]) -> int:
    """Tokens that carry loss in a batch: causal LM shifts labels by one, so a row's first label never counts."""
    return sum(sum(1 for label in row[1:] if label != -100) for row in batch["labels"])
