"""Reads ShapesWorld datasets written by `npm run dataset` (layout in src/world/dataset.ts)."""
import json
import struct

import numpy as np

MAGIC = b"SWDS0001"


class ShapesWorldDataset:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            magic = f.read(8)
            if magic != MAGIC:
                raise ValueError(f"{path}: not a ShapesWorld dataset (magic {magic!r})")
            (hlen,) = struct.unpack("<I", f.read(4))
            self.header = json.loads(f.read(hlen).decode("utf-8"))
            offset = 12 + hlen
        h = self.header
        self.count, self.size = h["count"], h["size"]
        self.captions = h["captions"]
        self.scenes = h["scenes"]
        self.images = np.memmap(
            path, dtype=np.uint8, mode="r", offset=offset, shape=(self.count, self.size, self.size, 3)
        )


def picture_chunks(ds, chunk):
    """(start, pictures [n, 3, H, W] float32 in [-1, 1]) over the whole dataset, `chunk` at a time."""
    import torch

    for s in range(0, ds.count, chunk):
        x = torch.from_numpy(np.asarray(ds.images[s : s + chunk], dtype=np.float32)).permute(0, 3, 1, 2)
        yield s, x / 127.5 - 1.0


class WordTokenizer:
    def __init__(self, vocab_path, context_length=16):
        with open(vocab_path) as f:
            self.vocab = json.load(f)
        self.context_length = context_length
        self.pad, self.start, self.end = self.vocab["<pad>"], self.vocab["<start>"], self.vocab["<end>"]

    def encode(self, caption):
        words = caption.split()
        for w in words:
            if w not in self.vocab:
                raise KeyError(f"unknown word {w!r} in caption {caption!r}")
        ids = [self.start] + [self.vocab[w] for w in words] + [self.end]
        if len(ids) > self.context_length:
            raise ValueError(f"caption too long ({len(ids)} tokens > {self.context_length}): {caption!r}")
        return ids + [self.pad] * (self.context_length - len(ids))

    def encode_batch(self, captions):
        return np.array([self.encode(c) for c in captions], dtype=np.int64)
