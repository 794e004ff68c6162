"""Exports the mini-unCLIP prior, decoder and the two upsamplers (EMA weights) to ONNX with
dynamic batch, and writes their manifest entries.

  python3 -m training.export.export_unclip [--prior training/checkpoints/prior.pt] [--decoder ...] [--upsampler ...]
  python3 -m training.export.export_unclip --only upsampler256 [--upsampler256 training/checkpoints/upsampler256.pt]
  python3 -m training.export.export_unclip --only inpaint [--inpaint training/checkpoints/inpaint_decoder.pt]

The inpainting decoder (train_decoder.py --inpaint) is exported with float16 weights (half_weights.py):
the bundled models share a 40 MB budget.
"""
import argparse
import json
import math
import os

import numpy as np
import torch

from training.models.decoder_model import decoder_from_args
from training.export.half_weights import half_weights
from training.world.inpaint_masks import KINDS, WEIGHTS
from training.export.manifest_util import MODELS_DIR, file_fields, update_manifest
from training.models.prior_model import Prior
from training.models.upsampler_model import Upsampler, Upsampler256
from training.paths import TRAINING
from training.world.world import VERSION

MASK_NAMES = dict(
    zip(KINDS, ("an object's grid cell", "an object's box", "an empty cell", "a random rectangle", "the whole picture"))
)


def percentages(weights):
    """Whole percentages of weights that sum to 100 (largest remainders get the points rounding down leaves)."""
    w = np.asarray(weights, dtype=float)
    exact = 100 * w / w.sum()
    out = np.floor(exact).astype(int)
    for i in np.argsort(out - exact, kind="stable")[: 100 - out.sum()]:
        out[i] += 1
    return out.tolist()


CK = os.path.join(TRAINING, "checkpoints")
WORLD = VERSION  # training/world/world.json
DIFFUSION = {"schedule": "cosine", "trainSteps": 1000, "clip": "mini-clip"}


def vocab_size():
    with open(os.path.join(TRAINING, "..", "public", "models", "shapesworld-vocab.json")) as f:
        return len(json.load(f))


RAW = set()  # models exported with their raw weights instead of the EMA


def load(model, path, name):
    ck = torch.load(path, map_location="cpu")
    model.load_state_dict(
        ck["model"] if name in RAW else ck["ema"]
    )  # float16 checkpoints (keep.py --half) load as float32
    model.eval()
    return ck


def card(ck, name, what, params, data=None):
    a = ck["args"]
    last_run = {
        k: a[k]
        for k in (
            "lr",
            "decay_steps",
            "min_lr_ratio",
            "object_weight",
            "snr_cap",
            "p_drop_image",
            "p_drop_text",
            "p_two",
            "caption_layers",
            "init_from",
            "inpaint",
            "known_weight",
            "p_relation",
            "t_min",
            "t_min_share",
            "ghost",
            "ghost_alpha",
            "ghost_t_min",
            "ema",
        )
        if k in a
    }
    runs = ck.get("history") or []
    known = sum(r.get("to_step", r["from_step"]) - r["from_step"] for r in runs)
    history = (
        [
            {
                "steps": ck["step"] - known,
                "hardware": "2-core CPU, PyTorch 1.13 (Debian) with OpenBLAS",
                "note": "runs before run history was recorded",
            }
        ]
        if ck["step"] > known
        else []
    ) + [
        {
            "steps": r.get("to_step", r["from_step"]) - r["from_step"],
            "minutes": r.get("minutes"),
            "hardware": r["hardware"],
            "batch": r["batch"],
        }
        for r in runs
    ]
    tuned = {}
    if a.get("init_step") is not None:
        # started from another model's checkpoint: steps and minutes above include what it inherited
        own = [r for r in runs if r["from_step"] >= a["init_step"]]
        tuned = {
            "fineTuning": {
                "from": os.path.basename(str(a.get("init_from"))),
                "fromStep": a["init_step"],
                "steps": ck["step"] - a["init_step"],
                "minutes": round(sum(r.get("minutes") or 0 for r in own), 1),
                "batch": a["batch"],
            }
        }
    tv = ck.get("task_vector")  # training/train/task_vector.py: the fine-tune's change carried onto a newer base
    tuned["taskVector"] = None  # (None: dropped from the card of a model that was never carried)
    if tv:
        own = tv["tuned_step"] - tv["base_step"]
        more = ck["step"] - (tv["onto_step"] + own)  # trained on after the carry (train_loop keeps the note)
        tuned["taskVector"] = (
            f"the fine-tune's own {own} steps (its change from step {tv['base_step']}, "
            f"x{tv['scale']:g}) added to the base at step {tv['onto_step']} (training/train/task_vector.py)"
            + (f", then trained {more} more steps on that base" if more > 0 else ": not trained on that base")
        )
    return {
        **tuned,
        "trainingData": f"ShapesWorld {WORLD.rsplit('-', 1)[-1]}, "
        + (data or "100,000 rendered images (4 captions each), held-out colour-shape pairs never rendered"),
        "steps": ck["step"],
        "batch": a["batch"],
        "trainingMinutes": round(ck["elapsed"] / 60, 1),
        "hardware": ", ".join(sorted({h["hardware"] for h in history}))
        or "2-core CPU, PyTorch 1.13 (Debian) with OpenBLAS",
        "trainingRuns": history,
        "weights": "raw" if name in RAW else f"EMA ({a.get('ema', 0.999):g})",
        "architecture": f"{what}, {params} parameters",
        "lastRunSettings": last_run,
    }


def io(name, *shape, dtype="float32", description=None):
    """An input or output as a manifest entry lists it: its name, dtype and shape [batch, *shape]."""
    return {
        "name": name,
        "dtype": dtype,
        "shape": ["batch", *shape],
        **({"description": description} if description else {}),
    }


def export(model, inputs, outputs, path, fold=True):
    """model to ONNX at path (opset 14, a dynamic batch on every input and output: io's), traced on two rows of zeros
    of each input's shape and dtype (ones for a caption's mask and ids). fold=False keeps float16 weights float16 (the
    Cast is folded at run time)."""
    names, out_names = [i["name"] for i in inputs], [o["name"] for o in outputs]
    rows = tuple(
        (torch.ones if i["name"] in ("text_mask", "text_ids") else torch.zeros)(
            2, *i["shape"][1:], dtype=getattr(torch, i["dtype"])
        )
        for i in inputs
    )
    torch.onnx.export(
        model,
        rows,
        path,
        input_names=names,
        output_names=out_names,
        opset_version=14,
        dynamic_axes={n: {0: "batch"} for n in names + out_names},
        do_constant_folding=fold,
    )


def exported(model, out, mid, kind, title, inputs, outputs, fold=True, **fields):
    """Exports model to <out>/<mid>.onnx (export) and returns the start of its manifest entry: id, kind, title, the
    file's fields (file_fields), `fields` in order, the inputs and the outputs."""
    path = os.path.join(out, f"{mid}.onnx")
    export(model, inputs, outputs, path, fold)
    return {
        "id": mid,
        "kind": kind,
        "title": title,
        **file_fields(path, WORLD),
        **fields,
        "inputs": inputs,
        "outputs": outputs,
    }


class KnownLast(torch.nn.Module):
    """An inpainting decoder without a caption encoder: `known` follows text_mask (no text_ids between)."""

    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x_t, timestep, image_embed, text_tokens, text_mask, known):
        return self.m(x_t, timestep, image_embed, text_tokens, text_mask, None, known)


def export_decoder(src, which, out, text_io):
    """The decoder, or (which == "inpaint") the inpainting decoder: its extra input `known` is the source with
    the region to regenerate zeroed and the mask (1 = regenerate), [batch, 4, 32, 32]; float16 weights."""
    inpaint = which == "inpaint"
    a = torch.load(src, map_location="cpu")["args"]
    m = decoder_from_args(
        {"self_attention_16": True, **a}, vocab_size()
    )  # runs before --self-attention-16 existed had it
    ck = load(m, src, which)
    params = sum(q.numel() for q in m.parameters())
    if inpaint:
        half_weights(m)
    inputs = [io("x_t", 3, 32, 32), io("timestep"), io("image_embed", 128), *text_io]
    if m.caption is not None:
        inputs.append(io("text_ids", 16, dtype="int64"))
    if inpaint:
        inputs.append(io("known", 4, 32, 32))
    head = exported(
        KnownLast(m) if inpaint and m.caption is None else m,
        out,
        "mini-unclip-inpaint-decoder" if inpaint else "mini-unclip-decoder",
        "decoder",
        "mini-unCLIP inpainting decoder (masked source + mask + caption/embedding -> 32x32)"
        if inpaint
        else "mini-unCLIP decoder (CLIP image embedding + caption -> 32x32)",
        inputs,
        [io("v", 3, 32, 32)],
        fold=not inpaint,
        embedDim=128,
    )
    ch = tuple(a.get("channels") or (32, 64, 96))
    caption = (
        f", and a {a['caption_layers']}-layer caption transformer (width 128) trained with it"
        if m.caption is not None
        else ""
    )
    what = (
        f"U-Net 32/16/8 ({', '.join(map(str, ch))} channels) with cross-attention to 4 embedding tokens and the "
        "caption tokens "
        f"(at 16x16 to those only, at 8x8 also to the image){caption}"
    )
    c = card(
        ck,
        which,
        what + (", 4 more input channels (the masked source and the mask); float16 weights" if inpaint else ""),
        params,
    )
    if inpaint:
        mix = ", ".join(
            f"{name} {pc}%" for name, pc in zip(MASK_NAMES.values(), percentages(a.get("mask_mix") or WEIGHTS))
        )
        grow = f", cell and box masks widened by 0-{a['mask_grow']} px" if a.get("mask_grow") else ""
        ghost = (
            (
                f"; a ghost asked for {round(100 * a['ghost'])}% of the captioned pictures, at t >= "
                f"{a.get('ghost_t_min', 300)}: a "
                "faint copy inside the masked region where the mask allows one (the kept object on an erased object's "
                "cell, "
                "or an object in a masked empty cell), the target the clean picture (training/world/ghosts.py)"
            )
            if a.get("ghost")
            else ""
        )
        c["inpainting"] = (
            "GLIDE-style: the decoder fine-tuned with the source (region to regenerate zeroed) and the mask as 4 more "
            "input "
            f"channels, zero-initialised; masks in the last run (training/world/inpaint_masks.py): {mix}{grow}{ghost}"
        )
    return {
        **head,
        "diffusion": {
            **DIFFUSION,
            "parameterization": "v",
            "resolution": 32,
            "conditioning": "image-embedding+text+known" if inpaint else "image-embedding+text",
        },
        "card": c,
    }


def export_plain(src, which, out, cls, mid, title, inputs, outputs, fields, diffusion, what, kind=None, data=None):
    """The prior or an upsampler (`which`; its manifest kind `kind`, or `which`): a cls() with src's weights, exported
    to <out>/<mid>.onnx; its manifest entry."""
    m = cls()
    ck = load(m, src, which)
    return {
        **exported(m, out, mid, kind or which, title, inputs, outputs, **fields),
        "diffusion": {**DIFFUSION, **diffusion},
        "card": card(ck, which, what, sum(q.numel() for q in m.parameters()), data),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--prior", default=os.path.join(CK, "prior.pt"))
    p.add_argument("--decoder", default=os.path.join(CK, "decoder.pt"))
    p.add_argument("--upsampler", default=os.path.join(CK, "upsampler.pt"))
    p.add_argument("--upsampler256", default=os.path.join(CK, "upsampler256.pt"), help="the 64 -> 256 upsampler")
    p.add_argument(
        "--inpaint",
        default=os.path.join(CK, "inpaint_decoder.pt"),
        help="the inpainting decoder (exported only with --only inpaint)",
    )
    p.add_argument("--out", default=MODELS_DIR)
    p.add_argument(
        "--raw",
        nargs="*",
        default=[],
        choices=["prior", "decoder", "upsampler", "upsampler256", "inpaint"],
        help="models to export with their raw weights instead of the EMA (early checkpoints, or a run that ended on a "
        "decayed learning rate)",
    )
    p.add_argument(
        "--only",
        nargs="*",
        default=["prior", "decoder", "upsampler", "upsampler256"],
        choices=["prior", "decoder", "upsampler", "upsampler256", "inpaint"],
        help="models to export",
    )
    args = p.parse_args()
    global RAW
    RAW = set(args.raw)
    os.makedirs(args.out, exist_ok=True)
    entries = []
    text_io = [io("text_tokens", 16, 128), io("text_mask", 16)]
    plain = {  # the models exported as they are (the decoders: export_decoder)
        "prior": dict(
            cls=Prior,
            mid="mini-unclip-prior",
            title="mini-unCLIP diffusion prior (text -> CLIP image embedding)",
            inputs=[io("x_t", 128), io("timestep"), io("text_embed", 128), *text_io],
            outputs=[io("x0", 128)],
            fields={"embedDim": 128},
            diffusion={"parameterization": "x0", "embedScale": math.sqrt(128), "conditioning": "text"},
            what="causal transformer over [tokens, text embedding, timestep, noisy embedding, output token], 4 layers, "
            "width 128",
        ),
        "upsampler": dict(
            cls=Upsampler,
            mid="mini-unclip-upsampler",
            title="mini-unCLIP upsampler (32x32 -> 64x64)",
            inputs=[io("x_t", 3, 64, 64), io("timestep"), io("low_res", 3, 32, 32)],
            outputs=[io("v", 3, 64, 64)],
            fields={},
            diffusion={
                "parameterization": "v",
                "resolution": 64,
                "conditioning": "low-res image (blurred in training)",
            },
            what="U-Net 64/32/16 (24, 48, 64 channels), no attention",
        ),
        "upsampler256": dict(
            cls=Upsampler256,
            kind="upsampler",
            mid="mini-unclip-upsampler256",
            title="mini-unCLIP second upsampler (64x64 -> 256x256)",
            inputs=[io("x_t", 3, 256, 256), io("timestep"), io("low_res", 3, 64, 64)],
            outputs=[io("x0", 3, 256, 256)],
            fields={},
            diffusion={
                "parameterization": "x0",
                "resolution": 256,
                "conditioning": "low-res image (blurred and noised in training), added to the output bilinearly "
                "upsampled",
            },
            what="U-Net over 2x2-unshuffled pixels, 128/64/32 at full size (24, 48, 64 channels), no attention; "
            "trained on 64x64 crops of 256x256 renders",
            data="8,000 renders at 256x256 (npm run dataset -- --count 8000 --seed 5 --scale 4), random 64x64 crops "
            "with the matching 16x16 crops of the render box-averaged to 64x64 and degraded (blur, noise)",
        ),
    }
    for which in ("prior", "decoder", "inpaint", "upsampler", "upsampler256"):
        src = getattr(args, which)
        if which in args.only and os.path.exists(src):
            entries.append(
                export_plain(src, which, args.out, **plain[which])
                if which in plain
                else export_decoder(src, which, args.out, text_io)
            )
    if entries:
        update_manifest(entries, os.path.join(args.out, "manifest.json"))
    print("exported " + ", ".join(e["id"] for e in entries))


if __name__ == "__main__":
    main()
