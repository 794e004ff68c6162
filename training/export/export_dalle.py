"""Exports the mini-DALL·E dVAE (encoder, decoder) and transformer (with a key/value cache) to
ONNX and writes their manifest entries.

  python3 -m training.export.export_dalle [--dvae training/checkpoints/dvae.pt] \
      [--transformer training/checkpoints/dalle.pt]

The dVAE exports its raw weights (a VQ codebook is a buffer moved by its own moving average;
averaging it again would decode codes the encoder never picks); the transformer its EMA.
"""
import argparse
import os

import torch

from training.models.dalle_model import TEXT_LEN, Dalle, StepModel
from training.models.dvae_model import DecodeIds, EncodeIds
from training.export.export_unclip import card, exported, io, vocab_size
from training.export.half_weights import half_weights
from training.export.manifest_util import MODELS_DIR, file_fields, write_entries
from training.train.train_dalle import load_dvae
from training.world.world import VERSION

from training.paths import TRAINING

CK = os.path.join(TRAINING, "checkpoints")
WORLD = VERSION  # training/world/world.json


QUANTIZERS = {
    True: "Gumbel-softmax relaxation, KL to uniform",
    False: "nearest code, straight-through, EMA codebook, dead codes reset",
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dvae", default=os.path.join(CK, "dvae.pt"))
    p.add_argument("--transformer", default=os.path.join(CK, "dalle.pt"))
    p.add_argument("--out", default=MODELS_DIR)
    p.add_argument("--raw-transformer", action="store_true", help="export the transformer's raw weights, not the EMA")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    entries = []
    dvae, ck = load_dvae(args.dvae)
    k, grid, res = dvae.codes, 8, 32
    spec = {"codes": k, "grid": grid, "resolution": res}
    a = ck["args"]
    dcard = card(
        ck,
        "dvae",
        f"discrete VAE ({a['quantizer']}: {QUANTIZERS[a['quantizer'] == 'gumbel']}), "
        f"32x32 -> {grid}x{grid} codes from {k}",
        sum(q.numel() for q in dvae.parameters()),
    )
    dcard["weights"] = "raw"
    image = io("image", 3, res, res, description="pictures in [-1, 1], NCHW")
    for model, mid, kind, title, pair, inputs, outputs in (
        (
            EncodeIds(dvae),
            "mini-dalle-dvae-encoder",
            "dvae-encoder",
            "mini-DALL·E dVAE encoder (32x32 -> 8x8 codes)",
            "mini-dalle-dvae-decoder",
            [image],
            [io("codes", grid * grid, dtype="int64", description="code ids, raster order")],
        ),
        (
            DecodeIds(dvae),
            "mini-dalle-dvae-decoder",
            "dvae-decoder",
            "mini-DALL·E dVAE decoder (8x8 codes -> 32x32)",
            "mini-dalle-dvae-encoder",
            [io("codes", grid * grid, dtype="int64")],
            [image],
        ),
    ):
        entries.append(
            {**exported(model, args.out, mid, kind, title, inputs, outputs, pair=pair, dalle=spec), "card": dcard}
        )
    if os.path.exists(args.transformer):
        ck = torch.load(args.transformer, map_location="cpu")
        a = ck["args"]
        vocab = vocab_size()
        m = Dalle(vocab, k, a["width"], a["layers"], a["heads"])
        m.load_state_dict({n: v.float() for n, v in (ck["model"] if args.raw_transformer else ck["ema"]).items()})
        m.eval()
        params = sum(q.numel() for q in m.parameters())
        half_weights(m)  # float16 in the file (6.9 MB, not 13.9): the bundled models share a 40 MB budget
        hd = a["width"] // a["heads"]
        path = os.path.join(args.out, "mini-dalle.onnx")
        b = 2
        torch.onnx.export(
            StepModel(m),
            (
                torch.zeros(b, TEXT_LEN, dtype=torch.int64),
                torch.arange(TEXT_LEN),
                torch.zeros(TEXT_LEN, TEXT_LEN),
                torch.zeros(a["layers"], b, a["heads"], 0, hd),
                torch.zeros(a["layers"], b, a["heads"], 0, hd),
            ),
            path,
            input_names=["tokens", "positions", "bias", "past_keys", "past_values"],
            output_names=["logits", "present_keys", "present_values"],
            opset_version=14,
            dynamic_axes={
                "tokens": {0: "batch", 1: "new"},
                "positions": {0: "new"},
                "bias": {0: "new", 1: "total"},
                "past_keys": {1: "batch", 3: "past"},
                "past_values": {1: "batch", 3: "past"},
                "logits": {0: "batch", 1: "new"},
                "present_keys": {1: "batch", 3: "total"},
                "present_values": {1: "batch", 3: "total"},
            },
            do_constant_folding=False,
        )  # keeps the weights float16 (onnxruntime folds the Cast)
        tcard = card(
            ck,
            "dalle",
            f"decoder-only transformer, {a['layers']} layers, width {a['width']}, {a['heads']} heads, "
            f"over [16 caption tokens, {grid * grid} image codes]; float16 weights",
            params,
        )
        if args.raw_transformer:
            tcard["weights"] = "raw"
        tcard["dvaeSha256"] = entries[0]["sha256"]  # the dVAE encoder's
        entries.append(
            {
                "id": "mini-dalle",
                "kind": "dalle",
                "title": "mini-DALL·E transformer (caption -> 8x8 codes)",
                **file_fields(path, WORLD),
                "dalle": {
                    **spec,
                    "textVocab": vocab,
                    "layers": a["layers"],
                    "heads": a["heads"],
                    "headDim": hd,
                    "dvae": "mini-dalle-dvae",
                },
                "tokenizer": {
                    "type": "word",
                    "vocab": "shapesworld-vocab.json",
                    "contextLength": TEXT_LEN,
                    "specialTokens": {"start": "<start>", "end": "<end>", "pad": "<pad>"},
                },
                "inputs": [
                    {
                        "name": "tokens",
                        "dtype": "int64",
                        "shape": ["batch", "new"],
                        "description": "word ids, then image code c as textVocab + c",
                    },
                    {
                        "name": "positions",
                        "dtype": "int64",
                        "shape": ["new"],
                        "description": "positions of the new tokens in the sequence",
                    },
                    {
                        "name": "bias",
                        "dtype": "float32",
                        "shape": ["new", "total"],
                        "description": "additive attention mask (0 or -1e4), total = past + new",
                    },
                    {"name": "past_keys", "dtype": "float32", "shape": [a["layers"], "batch", a["heads"], "past", hd]},
                    {
                        "name": "past_values",
                        "dtype": "float32",
                        "shape": [a["layers"], "batch", a["heads"], "past", hd],
                    },
                ],
                "outputs": [
                    {
                        "name": "logits",
                        "dtype": "float32",
                        "shape": ["batch", "new", k],
                        "description": "next image code at each new position",
                    },
                    {
                        "name": "present_keys",
                        "dtype": "float32",
                        "shape": [a["layers"], "batch", a["heads"], "total", hd],
                    },
                    {
                        "name": "present_values",
                        "dtype": "float32",
                        "shape": [a["layers"], "batch", a["heads"], "total", hd],
                    },
                ],
                "card": tcard,
            }
        )
    write_entries(entries, args.out)


if __name__ == "__main__":
    main()
